"""The demo marketplace's content: departments, categories, products, offers and sellers.

Everything is derived from a seed, so a catalog built twice is identical and a test can
compare what a crawl collected with the site's ground truth. Sellers are drawn from a pool
much smaller than the number of offers, so the same seller appears under many products
(the crawler must deduplicate them). Like a real marketplace's, the sellers' profiles are
incomplete: some have no country, some no rating, and a few a rating of ``"n/a"`` (what
the demo's item schema calls invalid, so the run page's data quality panel has something
real to show).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "NO_RATING",
    "PAGE_SIZE",
    "SCALES",
    "XSS_SELLER_NAME",
    "Catalog",
    "Category",
    "Department",
    "Offer",
    "Product",
    "Scale",
    "build_catalog",
]

PAGE_SIZE: Final = 10
"""Products per listing page and offers per offer-search page."""

XSS_SELLER_NAME: Final = "<img src=x onerror=alert(1)>"
"""One seller's name is markup on purpose: every view must show it as text."""

PRICE_BANDS: Final = ((0.0, 25.0), (25.0, 100.0), (100.0, 500.0), (500.0, 5000.0))

_COUNTRIES: Final = ("DE", "FR", "GB", "IT", "NL", "PL", "SE", "US")
NO_RATING: Final = "n/a"
"""The rating a few sellers show instead of a number."""


@dataclass(frozen=True)
class Scale:
    """How big a catalog is."""

    departments: int
    categories_per_department: int
    products_per_category: tuple[int, int]
    sellers: int
    offers_per_product: tuple[int, int]


SCALES: Final = {
    "tiny": Scale(2, 2, (6, 12), 40, (1, 8)),
    "small": Scale(3, 4, (12, 28), 200, (1, 14)),
    "medium": Scale(5, 6, (25, 60), 1000, (1, 20)),
    "large": Scale(8, 10, (60, 120), 5000, (1, 30)),
}

_DEPARTMENTS = (
    "Electronics",
    "Home",
    "Garden",
    "Toys",
    "Sports",
    "Books",
    "Kitchen",
    "Outdoors",
    "Office",
    "Music",
)
_NOUNS = (
    "Lamp",
    "Kettle",
    "Chair",
    "Cable",
    "Drill",
    "Tent",
    "Ball",
    "Phone",
    "Desk",
    "Mug",
    "Speaker",
    "Blanket",
    "Helmet",
    "Clock",
    "Backpack",
    "Router",
)
_ADJECTIVES = (
    "Compact",
    "Deluxe",
    "Solar",
    "Smart",
    "Classic",
    "Rugged",
    "Silent",
    "Wireless",
    "Folding",
    "Vintage",
    "Turbo",
    "Eco",
)
_SELLER_WORDS = (
    "Acme",
    "Bright",
    "Cedar",
    "Delta",
    "Echo",
    "Falcon",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orbit",
    "Pioneer",
)


@dataclass(frozen=True)
class Offer:
    """One seller's offer for a product."""

    seller_id: int
    price: float


@dataclass(frozen=True)
class Product:
    """A product page and its offers."""

    id: int
    name: str
    category_id: int
    offers: tuple[Offer, ...]

    def bands(self) -> list[tuple[float, float, int]]:
        """``(min, max, offers)`` per price band, as the product page lists them."""
        return [
            (low, high, sum(1 for o in self.offers if low <= o.price < high))
            for low, high in PRICE_BANDS
        ]

    def offers_in(self, low: float, high: float) -> list[Offer]:
        """Offers with ``low <= price < high``, cheapest first (stable order)."""
        return sorted(
            (o for o in self.offers if low <= o.price < high), key=lambda o: (o.price, o.seller_id)
        )


@dataclass(frozen=True)
class Category:
    """A category listing, paginated by ``PAGE_SIZE``."""

    id: int
    name: str
    department: str
    product_ids: tuple[int, ...]

    @property
    def pages(self) -> int:
        """Listing pages (at least one, even when empty)."""
        return max(1, -(-len(self.product_ids) // PAGE_SIZE))


@dataclass(frozen=True)
class Department:
    """A department and its categories."""

    slug: str
    name: str
    category_ids: tuple[int, ...]


@dataclass
class Catalog:
    """The whole marketplace, built by ``build_catalog``."""

    seed: int
    scale: str
    departments: list[Department] = field(default_factory=list)
    categories: dict[int, Category] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    sellers: dict[int, str] = field(default_factory=dict)
    seller_countries: dict[int, str] = field(default_factory=dict)
    """Sellers' countries; sellers without one are not in it."""
    seller_ratings: dict[int, float | str] = field(default_factory=dict)
    """Sellers' ratings (1.0-5.0, or ``NO_RATING``); unrated sellers are not in it."""

    def ground_truth_seller_ids(self) -> frozenset[int]:
        """Every seller with at least one offer: exactly what a complete crawl collects."""
        return frozenset(o.seller_id for p in self.products.values() for o in p.offers)

    def department(self, slug: str) -> Department | None:
        """A department by its URL slug."""
        return next((d for d in self.departments if d.slug == slug), None)


def build_catalog(seed: int = 7, scale: str = "small") -> Catalog:
    """A deterministic catalog for ``seed`` and ``scale`` (tiny, small, medium, large)."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    size = SCALES[scale]
    rng = random.Random(f"crawlscope-demo:{seed}:{scale}")
    catalog = Catalog(seed=seed, scale=scale)
    for seller_id in range(1, size.sellers + 1):
        name = f"{rng.choice(_SELLER_WORDS)} {rng.choice(_SELLER_WORDS)} Trading #{seller_id}"
        catalog.sellers[seller_id] = name
    catalog.sellers[1] = XSS_SELLER_NAME
    _profiles(catalog, random.Random(f"crawlscope-demo-profiles:{seed}:{scale}"))
    category_id = 0
    product_id = 0
    for d in range(size.departments):
        dept_name = _DEPARTMENTS[d % len(_DEPARTMENTS)]
        if d >= len(_DEPARTMENTS):
            dept_name = f"{dept_name} {d // len(_DEPARTMENTS) + 1}"
        category_ids: list[int] = []
        for c in range(size.categories_per_department):
            category_id += 1
            noun = _NOUNS[(d * 7 + c) % len(_NOUNS)]
            products: list[int] = []
            for _ in range(rng.randint(*size.products_per_category)):
                product_id += 1
                products.append(product_id)
                catalog.products[product_id] = _product(
                    rng, product_id, category_id, noun, size, first=product_id == 1
                )
            catalog.categories[category_id] = Category(
                category_id, f"{noun}s {c + 1}", dept_name, tuple(products)
            )
            category_ids.append(category_id)
        slug = dept_name.lower().replace(" ", "-")
        catalog.departments.append(Department(slug, dept_name, tuple(category_ids)))
    return catalog


def _profiles(catalog: Catalog, rng: random.Random) -> None:
    # A generator of its own: drawing from the catalog's would change every product.
    for seller_id in catalog.sellers:
        if rng.random() < 0.85:
            catalog.seller_countries[seller_id] = rng.choice(_COUNTRIES)
        draw = rng.random()
        if draw < 0.65:
            catalog.seller_ratings[seller_id] = round(rng.uniform(1.0, 5.0), 1)
        elif draw < 0.72:
            catalog.seller_ratings[seller_id] = NO_RATING


def _product(
    rng: random.Random, product_id: int, category_id: int, noun: str, size: Scale, *, first: bool
) -> Product:
    sellers = rng.sample(range(1, size.sellers + 1), rng.randint(*size.offers_per_product))
    if first and 1 not in sellers:
        sellers[0] = 1  # the seller with a markup name always has an offer
    offers = tuple(
        Offer(seller_id, round(rng.choice(PRICE_BANDS)[0] + rng.uniform(0.5, 24.5), 2))
        for seller_id in sellers
    )
    name = f"{rng.choice(_ADJECTIVES)} {noun} {product_id}"
    return Product(product_id, name, category_id, offers)
