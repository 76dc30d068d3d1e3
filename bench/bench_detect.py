"""Benchmark: statement detection against trafilatura extraction on the same pages.

Builds ~5 KB HTML article pages from varied synthetic local-news paragraphs (crime,
courts, schools, weather, budgets, sports, traffic, police news that mentions
"cooperate", "checkpoint", "hold" in other senses), about one page in ten carrying an
on-topic immigration-cooperation paragraph. Times ``trafilatura.extract`` on every page
and ``detect.find_statements`` on the extracted text, in one run, and prints the ratio
extraction_time / detection_time (the bar: at least 5). Also prints how long a detection
worker's initializer takes to load the learned model and the gazetteer (loaded there, so
never inside a timed page), and the process's resident memory before and after.

Run::

    .venv/bin/python -m bench.bench_detect            # 300 pages, 3 rounds
    .venv/bin/python -m bench.bench_detect --pages 1000 --rounds 5
"""
from __future__ import annotations

import argparse
import random
import time

import trafilatura

from crawler.workers import load_model
from detect import default_detector

PLACES = ["Marlow", "Kestrel Falls", "Port Alder", "Cinder Lake", "Ossian County", "Greystead",
          "Harrow Point", "Juniper Hollow", "Okanee County", "Bellhaven", "Stanwick", "Verbena"]
NAMES = ["Dana Ruiz", "Tomas Breck", "Lena Marsh", "Curtis Vail", "Ruth Baptiste", "Omar Haddad",
         "Gloria Pastrana", "Ben Hiroshi", "Kyle Brandvold", "Ines Calvo", "Mark Feld", "Joy Pratt"]
OFF_TOPIC = [
    "{place} police arrested a {age}-year-old man early {day} after a chase that ended when his ca"
    "r struck a utility pole, Sgt. {name} said. No one else was hurt, and the man faces charges of"
    " fleeing and driving with a suspended license.",
    "The {place} school board voted {votes} on {day} to approve a ${money} million budget that add"
    "s {n} teaching positions and raises bus driver pay, board president {name} said.",
    "Heavy rain is expected across {place} through {day}, and the National Weather Service has iss"
    "ued a flood watch for low-lying areas near the river. Emergency managers urged residents to a"
    "void flooded roads.",
    "The {place} City Council delayed a vote on the downtown parking plan after nearly two hours o"
    "f public comment. Council member {name} said the city needs more time to study the effect on "
    "small businesses.",
    "Deputies are cooperating with the state fire marshal in the investigation of a fire that dest"
    "royed a barn outside {place} on {day}, the sheriff's office said. No animals were inside.",
    "The {place} Police Department will run a sobriety checkpoint on Route {n} from 10 p.m. {day} "
    "to 3 a.m., Lt. {name} said, adding that officers will also look for seat belt violations.",
    "{name}, {age}, remains in the county jail on a probation violation hold and is due in court n"
    "ext week. His attorney did not return a call seeking comment.",
    "The {place} High School football team beat its rival {votes} on {day} night, clinching a spot"
    " in the regional playoffs for the first time since the school opened.",
    "A judge sentenced {name} to {n} years in prison on {day} for a string of burglaries in {place"
    "}. Prosecutors said the thefts totaled more than ${money},000.",
    "Construction on the {place} bridge will close two lanes for about {n} weeks starting {day}, t"
    "ransportation officials said, and drivers should expect delays during rush hour.",
    "The library in {place} will extend its hours on weekends starting next month, director {name}"
    " said, after a survey found strong demand for evening study space.",
    "Police Chief {name} told the council on {day} that response times improved by {n} percent thi"
    "s year after the department hired eight new dispatchers.",
    "Volunteers planted {n} trees along the creek in {place} on {day}, part of a county effort to "
    "reduce erosion and cool neighborhoods during summer heat waves.",
    "The county health department reported {n} new cases of flu this week and urged residents over"
    " 65 to get vaccinated, spokeswoman {name} said.",
]
ON_TOPIC = [
    "“Our officers will not ask anyone about their immigration status,” {place} Police Chief {name"
    "} said {day}. “That is not our job, and it never will be.”",
    "{place} Sheriff {name} said {day} that the jail will continue to honor every detainer request"
    " it receives from Immigration and Customs Enforcement.",
    "The {place} Board of Supervisors voted {votes} to stop holding people on ICE detainers unless"
    " agents present a warrant signed by a judge.",
    "Sheriff's spokesman Capt. {name} said the {place} Sheriff's Office has no plans to join the 2"
    "87(g) program, turning down a request from federal officials.",
]
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/site.css"><script src="/static/ads.js"></script></head>
<body><header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sports">Sports</a></li><li><a href="/opinion">Opinion</a></li>
<li><a href="/obituaries">Obituaries</a></li><li><a href="/subscribe">Subscribe</a></li></ul>
</nav></header>
<main><article><h1>{title}</h1><p class="byline">By {name} | Staff writer</p>
<time datetime="2024-05-0{d}">May {d}, 2024</time>
{paragraphs}
</article><aside><h3>Most read</h3><ul><li><a href="/a1">County fair returns</a></li>
<li><a href="/a2">New bakery opens downtown</a></li><li><a href="/a3">Road work schedule</a></li>
</ul></aside></main>
<footer><p>&copy; 2024 The Valley Courier. All rights reserved.</p><p><a href="/privacy">Privacy</a>
<a href="/terms">Terms</a> <a href="/contact">Contact us</a></p></footer></body></html>"""


def fill(template: str, rng: random.Random) -> str:
    """One paragraph from a template with random names, places and numbers."""
    return template.format(place=rng.choice(PLACES), name=rng.choice(NAMES),
                           age=rng.randint(18, 70),
                           day=rng.choice(["Monday", "Tuesday", "Friday", "Saturday"]),
                           votes=f"{rng.randint(3, 7)}-{rng.randint(0, 2)}", n=rng.randint(2, 40),
                           money=rng.randint(2, 90))


def make_page(rng: random.Random, on_topic: bool) -> str:
    """A ~5 KB article page; on-topic pages carry one or two on-topic paragraphs."""
    paras = [fill(rng.choice(OFF_TOPIC), rng) for _ in range(rng.randint(20, 24))]
    if on_topic:
        for _ in range(rng.randint(1, 2)):
            paras.insert(rng.randrange(len(paras)), fill(rng.choice(ON_TOPIC), rng))
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return PAGE.format(title=fill("{place} news roundup", rng), name=rng.choice(NAMES),
                       d=rng.randint(1, 9), paragraphs=body)


def run(pages: int, rounds: int, seed: int) -> None:
    """Time extraction and detection over the same pages and print the ratio."""
    rng = random.Random(seed)
    html = [make_page(rng, i % 10 == 0) for i in range(pages)]
    detector = default_detector()
    before = rss_mb()
    t0 = time.perf_counter()
    load_model()  # what a detection worker's initializer loads before its first task
    print(f"model and gazetteer load: {time.perf_counter() - t0:.2f} s; resident memory "
          f"{before:.0f} MB -> {rss_mb():.0f} MB")
    texts = [trafilatura.extract(h) or "" for h in html[:20]]  # warm both up
    for t in texts:
        detector.find_statements(t)
    extract_s = detect_s = 0.0
    found = 0
    for _ in range(rounds):
        for page in html:
            t0 = time.perf_counter()
            text = trafilatura.extract(page) or ""
            t1 = time.perf_counter()
            found += len(detector.find_statements(text))
            detect_s += time.perf_counter() - t1
            extract_s += t1 - t0
    n = pages * rounds
    size = sum(map(len, html)) / len(html)
    print(f"pages: {pages} x {rounds} rounds, mean page {size / 1024:.1f} KB, ~1 in 10 on topic")
    print(f"extraction: {extract_s / n * 1000:.3f} ms/page   detection: {detect_s / n * 1000:.3f} "
          f"ms/page")
    print(f"statements found: {found / rounds:.0f} per round")
    print(f"ratio extraction/detection: {extract_s / detect_s:.1f}x (bar: >= 5x)")


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc)."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    run(args.pages, args.rounds, args.seed)


if __name__ == "__main__":
    main()
