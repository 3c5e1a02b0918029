"""What the demo download contains, as plain data: the six interest themes and the accounts
of each, the owner account, the share of each kind of post, the year the posts are spread
over, the follow graph, and the check of the demo settings. Nothing here touches the disk.

A profile is planned as an :class:`_Account` (who it is, its theme, its JSON schema, its
place in the follow graph); ``draw`` turns each into a :class:`_Profile` with its posts
(:class:`_Post`) and their media (:class:`_Media`).
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

THEMES = ("food", "fitness", "travel", "pets", "fashion", "music")
OWNER_USERNAME = "insta_kedro_owner"

# (username, full name, biography) per theme; profile i gets theme i % 6 and name i // 6.
ACCOUNTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "food": (
        ("maya.eats", "Maya Fernández", "home cook 👩‍🍳 brunch enthusiast | recipes below ⬇️"),
        ("chef.tomasz", "Tomasz Nowak", "chef @ a tiny bistro 🇵🇱 | pierogi evangelist"),
        ("noodle.nora", "Nora Kim", "slurping my way around town 🍜"),
        ("brunchwithben", "Ben Carter", "eggs, coffee, repeat ☕"),
    ),
    "fitness": (
        ("liftwithleo", "Leo Martins", "strength coach 💪 | DM for programs"),
        ("fit.priya", "Priya Shah", "5am club 🏃‍♀️ | marathoner x3"),
        ("kettlebell.kim", "Kim Larsen", "kettlebells & mobility 🏋️‍♀️"),
        ("run.with.sam", "Sam Okafor", "running the city one mile at a time"),
    ),
    "travel": (
        ("wander.jules", "Jules Moreau", "🌍 42 countries and counting | ✈️ slow travel"),
        ("passport.pia", "Pia Schneider", "weekend escapes from Berlin 🇩🇪"),
        ("nomad.niko", "Niko Papadopoulos", "islands, mountains, repeat 🏝️"),
        ("lostin.lisbon", "Inês Costa", "Lisbon local 🇵🇹 | hidden beaches"),
    ),
    "pets": (
        ("biscuit.the.corgi", "Biscuit 🐶", "short legs, big dreams | managed by @biscuits.human"),
        ("whiskers.and.wren", "Whiskers & Wren", "two cats, one sunbeam 🐱🐱"),
        ("mochi_meows", "Mochi", "professional napper 😻"),
        ("dogdad.dev", "Dev Patel", "dog dad 🐕‍🦺 | adopt don't shop"),
    ),
    "fashion": (
        ("stylebyzara", "Zara Ahmed", "stylist ✨ | pastel everything"),
        ("thrift.theo", "Theo Brooks", "thrifted fits only 🛍️"),
        ("lena.layers", "Lena Vogel", "layering is a lifestyle 🧥"),
        ("ootd.omar", "Omar Haddad", "daily fits 🕶️ | Paris"),
    ),
    "music": (
        ("bassline.ben", "Ben Ortiz", "bass player 🎸 | on tour this summer"),
        ("sofia.sings", "Sofía Romero", "singer-songwriter 🎤 new single out now"),
        ("drumsbydiego", "Diego Alves", "drummer 🥁 | session & live"),
        ("vinyl.violet", "Violet Hayes", "crate digger 🎶 vinyl sundays"),
    ),
}

# (business_category_name, category_enum) shown by business accounts.
BUSINESS_CATEGORIES = {
    "food": ("Restaurants", "CHEF"),
    "fitness": ("Personal Goods & General Merchandise Stores", "FITNESS_TRAINER"),
    "travel": ("Creators & Celebrities", "TRAVEL_COMPANY"),
    "pets": ("Creators & Celebrities", "PET"),
    "fashion": ("Personal Goods & General Merchandise Stores", "CLOTHING_STORE"),
    "music": ("Creators & Celebrities", "MUSICIAN"),
}

# Posts are spread over one year; profile pictures date from the year before.
TIME_START = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
TIME_SPAN = 365 * 86_400

MAIN_THEME_SHARE = 0.85
NO_CAPTION_SHARE = 0.08
CAROUSEL_SHARE = 0.20
VIDEO_SHARE = 0.04
CAROUSEL_VIDEO_ITEM_SHARE = 0.10
FOLLOW_WITHIN_THEME = 0.7
FOLLOW_ACROSS_THEMES = 0.12
FOLLOWS_OWNER = 0.4


@dataclass(frozen=True)
class _Media:
    """One picture or video of a post: its media id, shortcode, and whether a video."""

    media_id: int
    shortcode: str
    is_video: bool


@dataclass(frozen=True)
class _Post:
    """One drawn post: its media (and carousel items), date, theme, caption and counts."""

    media: _Media
    typename: str  # GraphImage, GraphVideo or GraphSidecar
    timestamp: int
    theme: str
    caption: str | None
    likes: int
    comments: int
    accessibility_caption: str | None
    children: tuple[_Media, ...]  # carousel items, empty otherwise

    @property
    def stem(self) -> str:
        """instaloader's default file name: ``{date_utc}_UTC``."""
        return datetime.fromtimestamp(self.timestamp, UTC).strftime("%Y-%m-%d_%H-%M-%S_UTC")


@dataclass(frozen=True)
class _Profile:
    """One drawn profile: the planned account with its counts, ids and posts."""

    username: str
    full_name: str
    biography: str
    user_id: int
    theme: str
    schema: str  # "graphql" (anonymous) or "iphone" (logged-in)
    is_business: bool
    profile_pic_timestamp: int
    posts: tuple[_Post, ...]
    followers: tuple[str, ...]  # those among the demo accounts and the owner
    followees: tuple[str, ...]
    follower_count: int  # the whole audience, of which `followers` is the known part
    followee_count: int


@dataclass(frozen=True)
class _Account:
    """A planned profile, before its counts, ids and posts are drawn."""

    username: str
    full_name: str
    biography: str
    theme: str
    schema: str  # "graphql" (anonymous) or "iphone" (logged-in)
    carries_examples: bool  # gets a video post and a carousel with a video item
    followers: tuple[str, ...]  # among the demo accounts and the owner, sorted
    followees: tuple[str, ...]


def _validate(n_profiles: int, posts_per_profile: int, image_size: int) -> None:
    """Raise ``ValueError`` naming the first demo setting out of range: ``n_profiles`` and
    ``posts_per_profile`` at least 1, ``image_size`` at least 32 pixels."""
    if n_profiles < 1:
        raise ValueError(f"n_profiles must be at least 1, got {n_profiles}")
    if posts_per_profile < 1:
        raise ValueError(f"posts_per_profile must be at least 1, got {posts_per_profile}")
    if image_size < 32:
        raise ValueError(f"image_size must be at least 32 pixels, got {image_size}")


def _account(index: int) -> tuple[str, str, str, str]:
    """Username, full name, biography and theme of the index-th demo profile."""
    theme = THEMES[index % len(THEMES)]
    accounts = ACCOUNTS[theme]
    rank = index // len(THEMES)
    username, full_name, biography = accounts[rank % len(accounts)]
    if rank >= len(accounts):
        username = f"{username}_{rank // len(accounts) + 1}"
    return username, full_name, biography, theme


def _plan_accounts(seed: int, n_profiles: int) -> tuple[_Account, ...]:
    """The ``n_profiles`` demo accounts, in order, with the follow graph drawn from ``seed``.

    Accounts of one theme follow each other more often than across themes; the owner follows
    everyone, the first account and some others follow the owner back. The first half of the
    accounts (rounded up) get the anonymous GraphQL schema, the rest the logged-in one; the
    first account of each half carries the examples (a video post, a carousel with a video).
    """
    accounts = [_account(index) for index in range(n_profiles)]
    graph_rng = random.Random(f"{seed}/follow-graph")
    follows: set[tuple[str, str]] = set()
    for follower, _, _, follower_theme in accounts:
        for followee, _, _, followee_theme in accounts:
            share = (
                FOLLOW_WITHIN_THEME if follower_theme == followee_theme else FOLLOW_ACROSS_THEMES
            )
            if follower != followee and graph_rng.random() < share:
                follows.add((follower, followee))
        follows.add((OWNER_USERNAME, follower))
        if follower == accounts[0][0] or graph_rng.random() < FOLLOWS_OWNER:
            follows.add((follower, OWNER_USERNAME))

    n_graphql = (n_profiles + 1) // 2
    return tuple(
        _Account(
            username=username,
            full_name=full_name,
            biography=biography,
            theme=theme,
            schema="graphql" if index < n_graphql else "iphone",
            carries_examples=index in (0, n_graphql),
            followers=tuple(sorted(a for a, b in follows if b == username)),
            followees=tuple(sorted(b for a, b in follows if a == username)),
        )
        for index, (username, full_name, biography, theme) in enumerate(accounts)
    )


def _mentionable(accounts: Sequence[_Account]) -> dict[str, list[str]]:
    """The usernames a caption may @mention: per theme, and every account under ``"*"``."""
    mentionable: dict[str, list[str]] = {theme: [] for theme in THEMES}
    for account in accounts:
        mentionable[account.theme].append(account.username)
    mentionable["*"] = [account.username for account in accounts]
    return mentionable


def _ground_truth(seed: int, profiles: Sequence[_Profile]) -> dict[str, Any]:
    """``{"seed": seed, "profiles": {username: theme}, "posts": {shortcode: theme},
    "themes": [...]}`` of the drawn ``profiles``."""
    return {
        "seed": seed,
        "profiles": {profile.username: profile.theme for profile in profiles},
        "posts": {post.media.shortcode: post.theme for p in profiles for post in p.posts},
        "themes": list(THEMES),
    }
