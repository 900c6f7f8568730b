"""Real-looking news articles, generated: for tests that must run without ../shared.

    python scripts/synthetic_news.py OUT_DIR [--articles 200] [--seed 1]

Each article is a headline and four to eight paragraphs of reported news (who, what, where,
how much, a quote), in the BBC corpus's layout (headline, blank line, paragraphs). Names,
places, figures and sectors are drawn from fixed lists with a seeded random generator, so the
same seed always writes the same bytes, and different articles rarely share a sentence.
"""

import argparse
import random
from pathlib import Path

FIRST = (
    "Anna David Maria James Sofia Peter Laura Omar Chen Ingrid Tomas Amara Hugo Priya Kofi Elena Marco Yuki Fatima Lars"
).split()
LAST = (
    "Lindqvist Okafor Brennan Moreau Kowalski Tanaka Haddad Silva Novak Fischer Osei Romano Petrov Nakamura Duarte"
    " Keller Adeyemi"
).split()
PLACES = (
    "Leeds Lyon Gdansk Porto Turin Malmo Bilbao Ghent Cork Graz Tampere Brno Aarhus Utrecht Seville Bergen Krakow"
).split()
SECTORS = {
    "shipbuilder": ("ships", "orders for ferries", "the yard"),
    "brewer": ("beer", "sales of lager", "the brewery"),
    "carmaker": ("cars", "deliveries of electric models", "the plant"),
    "airline": ("flights", "passenger numbers", "the airport"),
    "chip designer": ("processors", "demand from phone makers", "the lab"),
    "supermarket chain": ("groceries", "like-for-like sales", "its stores"),
    "football club": ("tickets", "season-ticket sales", "the stadium"),
    "publisher": ("books", "sales of e-books", "the warehouse"),
    "power company": ("electricity", "wholesale prices", "the grid"),
    "film studio": ("films", "box-office takings", "the studio"),
}
NAMES = (
    "Northwind Baltic Greystone Meridian Harbourline Aurora Kestrel Silverfield Redmoor Bluewater Ironbridge"
    " Westgate Highland Crescent"
).split()
VERBS_UP = ["rose", "climbed", "jumped", "grew"]
VERBS_DOWN = ["fell", "dropped", "slumped", "declined"]
REASONS = [
    "higher energy costs",
    "a strike at a key supplier",
    "strong demand in Asia",
    "a weaker currency",
    "new rules from regulators",
    "a cold winter",
    "rising interest rates",
    "a successful product launch",
    "delays at the ports",
    "a shortage of skilled workers",
]
OFFICIALS = [
    "chief executive",
    "finance director",
    "union leader",
    "industry analyst",
    "mayor",
    "economy minister",
    "spokeswoman",
    "spokesman",
    "chairman",
]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def article(rng: random.Random, number: int) -> str:
    """One article: headline, blank line, paragraphs separated by blank lines."""
    sector, (goods, measure, site) = rng.choice(list(SECTORS.items()))
    firm = f"{rng.choice(NAMES)} {rng.choice(['Group', 'Holdings', 'Industries', 'plc', 'AG'])}"
    place = rng.choice(PLACES)
    up = rng.random() < 0.5
    change = rng.randint(2, 48)
    verb = rng.choice(VERBS_UP if up else VERBS_DOWN)
    money = f"£{rng.randint(2, 900)}m"
    jobs = rng.randint(1, 40) * 50
    year = rng.choice([2003, 2004, 2005])
    boss, other = person(rng), person(rng)
    reason = rng.choice(REASONS)
    headline = f"{firm} {'raises' if up else 'cuts'} {place} outlook after {measure} {'rise' if up else 'fall'}"
    paragraphs = [
        f"The {place}-based {sector} {firm} said on "
        f"{rng.choice(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'])} "
        f"that {measure} {verb} {change}% in the last quarter, blaming {reason}.",
        f"Profits for {year} came to {money}, the company said, and it expects to "
        f"{'hire' if up else 'cut'} about {jobs} staff at {site} in {place} over the next two years.",
        f'"We have seen {"remarkable" if up else "difficult"} months for {goods}, '
        f'and {reason} will shape the year ahead," '
        f"said {rng.choice(OFFICIALS)} {boss}.",
        f"{other}, a {rng.choice(OFFICIALS)} who follows the sector, said the figures were "
        f"{'better' if up else 'worse'} than forecast and that rivals would feel the same pressure.",
    ]
    extra = [
        f"Shares in {firm} {verb} {rng.randint(1, 15)}p to {rng.randint(60, 900)}p "
        f"in early trading in {rng.choice(PLACES)}.",
        f"The firm employs {rng.randint(2, 90) * 100} people "
        f"and has operated in {place} since {rng.randint(1890, 1999)}.",
        f"Local councillors in {place} said they would meet managers of {firm} next month to discuss the plans.",
        f"Report number {number}: the regulator will publish its own review of {goods} "
        f"in {rng.choice(['March', 'June', 'October'])}.",
    ]
    paragraphs += rng.sample(extra, rng.randint(0, len(extra)))
    return headline + "\n\n" + "\n\n".join(paragraphs) + "\n"


def write_corpus(folder: Path, articles: int, seed: int = 1) -> list[Path]:
    """Write `articles` files into folder (topic subfolders, NNN.txt); returns their paths."""
    rng = random.Random(seed)
    written = []
    for number in range(articles):
        topic = folder / ("business", "markets", "industry")[number % 3]
        topic.mkdir(parents=True, exist_ok=True)
        path = topic / f"{number:03d}.txt"
        path.write_text(article(rng, number), encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    print(f"{len(write_corpus(options.out, options.articles, options.seed))} articles in {options.out}")


if __name__ == "__main__":
    main()
