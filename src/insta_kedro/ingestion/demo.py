"""A deterministic, synthetic instaloader download for the demo run.

``write_demo_download`` writes one sub-folder per profile in instaloader's exact layout
(``{target}`` / ``{date_utc}_UTC``): post metadata as xz-compressed JSON in both schemas
instaloader produces (the anonymous GraphQL node for half of the profiles, the logged-in
"iphone struct" node for the other half), captions as ``.txt``, images drawn with PIL so
that the six interest themes differ visibly, carousels (``_1.jpg`` …), video posts, profile
JSON, ``id``, profile picture and a resume iterator file. The follow graph is written as
insta_kedro's own ``followers.json`` / ``followees.json`` lists: the part of each circle
among the demo accounts and the owner, while the profile JSON counts the whole audience
(thousands of followers, likes at a few per cent of them, as on real accounts).

No video encoder is available offline, so every ``.mp4`` is a minimal valid MP4 container
(an ``ftyp`` box and a ``moov`` box whose ``mvhd`` carries the duration, no tracks); the
video's ``.jpg`` thumbnail is a real drawn image.

The ground truth (the theme of every profile and post) is returned, never written into the
download folder: the pipeline saves it as the ``demo_themes`` dataset, for validation only.

Same settings give byte-identical files: every random choice comes from ``random.Random``
seeded with the seed and a stable key, xz/JSON/JPEG output has no time stamps, and file
modification times are set to the post dates (as instaloader does), never to the clock.
"""

import base64
import hashlib
import json
import logging
import lzma
import math
import os
import random
import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

logger = logging.getLogger(__name__)

THEMES = ("food", "fitness", "travel", "pets", "fashion", "music")
OWNER_USERNAME = "insta_kedro_owner"
INSTALOADER_VERSION = "4.16"
JPEG_QUALITY = 85

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

CAPTION_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "food": {
        "lines": (
            "Sunday brunch done right",
            "homemade ramen night, no shortcuts",
            "tried the new café on the corner and wow",
            "pasta from scratch is my therapy",
            "breakfast bowl for the win",
            "grandma's recipe, my twist",
            "taco tuesday came early this week",
            "crispy outside, gooey inside",
            "meal prep sunday, let's go",
            "this sourdough took three days and it was worth it",
        ),
        "emojis": (
            "🍝",
            "🥑",
            "🍓",
            "☕",
            "🍜",
            "🌮",
            "🥐",
            "🍕",
            "😋",
            "🔥",
            "👩‍🍳",
            "🧑‍🍳",
            "🇮🇹",
        ),
        "hashtags": (
            "foodie",
            "foodstagram",
            "brunch",
            "homecooking",
            "recipe",
            "café",
            "pâtisserie",
            "eeeeeats",
            "yummy",
            "foodphotography",
            "crèmebrûlée",
        ),
    },
    "fitness": {
        "lines": (
            "leg day never lies",
            "new PR on deadlifts today",
            "5am club, who's with me",
            "consistency beats motivation",
            "rest day? never heard of her",
            "progress not perfection",
            "morning run along the river",
            "kettlebell flow to start the week",
            "sweat now, shine later",
            "coach said one more set, so we did three",
        ),
        "emojis": ("💪", "🏋️‍♀️", "🏋️", "🔥", "🏃‍♂️", "🥇", "💯", "⚡", "👊🏽", "😤"),
        "hashtags": (
            "fitness",
            "gymlife",
            "legday",
            "fitfam",
            "workout",
            "strength",
            "motivation",
            "trainhard",
            "fitnessmotivation",
            "entraînement",
            "kraftsport",
        ),
    },
    "travel": {
        "lines": (
            "golden hour in the mountains",
            "woke up to this view",
            "passport stamps and sunsets",
            "lost in the best way",
            "the sea was calling",
            "hiked 14 km for this and I'd do it again",
            "island time",
            "chasing sunsets along the coast",
            "take me back already",
            "hidden beach, no crowds",
        ),
        "emojis": ("✈️", "🌍", "🏔️", "🌅", "🌊", "🧭", "🏝️", "🇵🇹", "🇯🇵", "🇮🇸", "🇬🇷", "☀️"),
        "hashtags": (
            "travel",
            "wanderlust",
            "travelgram",
            "explore",
            "roadtrip",
            "mountains",
            "beachlife",
            "naturelovers",
            "sommerurlaub",
            "voyage",
            "açores",
        ),
    },
    "pets": {
        "lines": (
            "who's a good boy",
            "caught in the act",
            "nap queen strikes again",
            "zoomies at 3am",
            "he thinks he's a lap dog",
            "treat tax collected",
            "meet the newest member of the family",
            "this face tho",
            "sunbeam > everything",
            "bath day was a disaster",
        ),
        "emojis": ("🐶", "🐱", "🐾", "🐕‍🦺", "🐈‍⬛", "😻", "🦴", "❤️", "🥰", "😹"),
        "hashtags": (
            "dogsofinstagram",
            "catsofinstagram",
            "petstagram",
            "corgi",
            "adoptdontshop",
            "puppylove",
            "catlife",
            "meow",
            "hundeliebe",
            "chatmignon",
            "perro",
        ),
    },
    "fashion": {
        "lines": (
            "today's fit",
            "thrifted this whole look",
            "pastels all week",
            "new drop just landed",
            "layering season is here",
            "vintage find of the year",
            "dress code: comfy but cute",
            "monochrome mood",
            "one jacket, styled three ways",
            "the perfect blazer doesn't exist, except it does",
        ),
        "emojis": ("👗", "👠", "👜", "🕶️", "✨", "💅🏼", "🛍️", "🧥", "👒", "💖"),
        "hashtags": (
            "ootd",
            "fashion",
            "style",
            "streetstyle",
            "thrifted",
            "vintage",
            "lookbook",
            "outfitinspo",
            "prêtàporter",
            "moda",
            "modeparis",
        ),
    },
    "music": {
        "lines": (
            "soundcheck vibes",
            "new single out friday",
            "last night's crowd was unreal",
            "practice room sessions",
            "vinyl sunday",
            "writing something new, stay tuned",
            "the stage lights hit different",
            "acoustic version dropping soon",
            "jam session with the band",
            "thank you for singing every word",
        ),
        "emojis": ("🎸", "🎤", "🎶", "🥁", "🎧", "🎹", "🔊", "🧑‍🎤", "🤘🏻", "🎵"),
        "hashtags": (
            "music",
            "livemusic",
            "guitar",
            "musician",
            "newmusic",
            "concert",
            "band",
            "singer",
            "songwriter",
            "música",
            "musique",
        ),
    },
}

MENTION_PHRASES = ("with @{}", "thanks @{}!", "📸 @{}", "ft. @{}", "miss you @{}")

ACCESSIBILITY_OBJECTS = {
    "food": ("food", "food and indoor", "coffee cup and food", "table"),
    "fitness": ("indoor", "gym equipment", "one or more people and indoor", "text"),
    "travel": ("outdoor", "mountain, sky and nature", "ocean and sky", "sunset"),
    "pets": ("cat", "dog", "animal and indoor", "dog and indoor"),
    "fashion": ("clothing", "indoor", "footwear and clothing", "handbag"),
    "music": ("one or more people and stage", "concert", "guitar", "night and indoor"),
}

# Posts are spread over one year; profile pictures date from the year before.
TIME_START = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
TIME_SPAN = 365 * 86_400
INSTAGRAM_EPOCH_MS = 1_314_220_021_721
SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
MEDIA_URL = "https://demo.insta-kedro.invalid/media/{}.{}"

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
    media_id: int
    shortcode: str
    is_video: bool


@dataclass(frozen=True)
class _Post:
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


def _validate(n_profiles: int, posts_per_profile: int, image_size: int) -> None:
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


def mediaid_to_shortcode(media_id: int) -> str:
    """Instagram's shortcode of a media id (instaloader's ``Post.mediaid_to_shortcode``)."""
    digits = []
    while media_id:
        media_id, digit = divmod(media_id, 64)
        digits.append(SHORTCODE_ALPHABET[digit])
    return "".join(reversed(digits)) or "A"


def _new_media(rng: random.Random, timestamp: int, is_video: bool, taken: set[int]) -> _Media:
    """A media id shaped like Instagram's (milliseconds since its epoch, then 23 random bits)."""
    while True:
        milliseconds = timestamp * 1000 + rng.randrange(1000) - INSTAGRAM_EPOCH_MS
        media_id = (milliseconds << 23) | rng.getrandbits(23)
        if media_id not in taken:
            taken.add(media_id)
            return _Media(media_id, mediaid_to_shortcode(media_id), is_video)


def _caption(rng: random.Random, theme: str, mentionable: Sequence[str]) -> str:
    """A caption in an Instagram voice: a line, emojis, maybe a @mention, hashtags."""
    words = CAPTION_WORDS[theme]
    line, second_line = rng.sample(words["lines"], 2)
    if rng.random() < 0.4:
        line = line[0].upper() + line[1:]
    parts = [line + rng.choice(("", "", "!", "!!", " ..."))]
    parts.append("".join(rng.sample(words["emojis"], rng.randint(0, 3))))
    if mentionable and rng.random() < 0.35:
        parts.append(rng.choice(MENTION_PHRASES).format(rng.choice(mentionable)))
    if rng.random() < 0.25:
        parts.append("\n\n" + second_line + " " + rng.choice(words["emojis"]))
    text = " ".join(part for part in parts if part).replace(" \n\n", "\n\n")
    hashtags = rng.sample(words["hashtags"], rng.randint(0, 6))
    if hashtags:
        separator = rng.choice((" ", "\n", "\n.\n.\n"))
        text += separator + " ".join(f"#{tag}" for tag in hashtags)
    return text


def _accessibility_caption(rng: random.Random, full_name: str, timestamp: int, theme: str) -> str:
    """Instagram's automatic alt text."""
    if rng.random() < 0.15:
        return "No photo description available."
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%B %d, %Y")
    objects = rng.choice(ACCESSIBILITY_OBJECTS[theme])
    return f"Photo by {full_name} on {day}. May be an image of {objects}."


def _plan_posts(
    rng: random.Random,
    *,
    username: str,
    full_name: str,
    theme: str,
    schema: str,
    n_posts: int,
    force_examples: bool,
    mentionable: dict[str, list[str]],
    taken_times: set[int],
    taken_ids: set[int],
    follower_count: int,
) -> tuple[_Post, ...]:
    timestamps: list[int] = []
    while len(timestamps) < n_posts:
        timestamp = TIME_START + rng.randrange(TIME_SPAN)
        if timestamp not in taken_times:
            taken_times.add(timestamp)
            timestamps.append(timestamp)
    timestamps.sort()
    other_themes = [other for other in THEMES if other != theme]
    n_off_theme = round((1 - MAIN_THEME_SHARE) * n_posts)
    off_theme = set(rng.sample(range(n_posts), n_off_theme))
    posts = []
    for index, timestamp in enumerate(timestamps):
        post_theme = rng.choice(other_themes) if index in off_theme else theme
        kind = rng.random()
        typename = (
            "GraphVideo"
            if kind < VIDEO_SHARE
            else "GraphSidecar"
            if kind < VIDEO_SHARE + CAROUSEL_SHARE
            else "GraphImage"
        )
        # Profiles that carry the examples get a video post and a carousel with a video item.
        if force_examples and index == 1:
            typename = "GraphVideo"
        if force_examples and index == 2:
            typename = "GraphSidecar"
        media = _new_media(rng, timestamp, typename == "GraphVideo", taken_ids)
        children: tuple[_Media, ...] = ()
        if typename == "GraphSidecar":
            video_items = [
                rng.random() < CAROUSEL_VIDEO_ITEM_SHARE for _ in range(rng.randint(2, 5))
            ]
            if force_examples and index == 2:
                video_items[-1] = True
            children = tuple(_new_media(rng, timestamp, item, taken_ids) for item in video_items)
        same_theme = [name for name in mentionable[post_theme] if name != username]
        anyone = [name for name in mentionable["*"] if name != username]
        caption = (
            None
            if rng.random() < NO_CAPTION_SHARE
            else _caption(
                rng, post_theme, same_theme if same_theme and rng.random() < 0.7 else anyone
            )
        )
        # About 2-8 % of the audience like a post, as on real accounts of this size.
        likes = rng.randint(follower_count // 60 + 1, follower_count // 12 + 20)
        has_alt_text = schema == "iphone" or rng.random() < 0.5
        posts.append(
            _Post(
                media=media,
                typename=typename,
                timestamp=timestamp,
                theme=post_theme,
                caption=caption,
                likes=likes,
                comments=rng.randint(0, likes // 4 + 1),
                accessibility_caption=(
                    _accessibility_caption(rng, full_name, timestamp, post_theme)
                    if has_alt_text
                    else None
                ),
                children=children,
            )
        )
    return tuple(posts)


def _plan(seed: int, n_profiles: int, posts_per_profile: int) -> tuple[_Profile, ...]:
    """Every decision of the generator except the pixels, from the seed alone."""
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

    mentionable: dict[str, list[str]] = {theme: [] for theme in THEMES}
    for username, *_, theme in accounts:
        mentionable[theme].append(username)
    mentionable["*"] = [username for username, *_ in accounts]

    n_graphql = (n_profiles + 1) // 2
    taken_times: set[int] = set()
    taken_ids: set[int] = set()
    profiles = []
    for index, (username, full_name, biography, theme) in enumerate(accounts):
        rng = random.Random(f"{seed}/profile/{username}")
        schema = "graphql" if index < n_graphql else "iphone"
        followers = tuple(sorted(a for a, b in follows if b == username))
        followees = tuple(sorted(b for a, b in follows if a == username))
        follower_count = len(followers) + rng.randrange(800, 30_000)
        followee_count = len(followees) + rng.randrange(50, 900)
        posts = _plan_posts(
            rng,
            username=username,
            full_name=full_name,
            theme=theme,
            schema=schema,
            n_posts=posts_per_profile,
            force_examples=index in (0, n_graphql),
            mentionable=mentionable,
            taken_times=taken_times,
            taken_ids=taken_ids,
            follower_count=follower_count,
        )
        profiles.append(
            _Profile(
                username=username,
                full_name=full_name,
                biography=biography,
                user_id=rng.randrange(10**9, 6 * 10**10),
                theme=theme,
                schema=schema,
                is_business=rng.random() < 0.4,
                profile_pic_timestamp=TIME_START - rng.randrange(30 * 86_400, TIME_SPAN),
                posts=posts,
                followers=followers,
                followees=followees,
                follower_count=follower_count,
                followee_count=followee_count,
            )
        )
    return tuple(profiles)


def _ground_truth(seed: int, profiles: Sequence[_Profile]) -> dict[str, Any]:
    return {
        "seed": seed,
        "profiles": {profile.username: profile.theme for profile in profiles},
        "posts": {post.media.shortcode: post.theme for p in profiles for post in p.posts},
        "themes": list(THEMES),
    }


def demo_ground_truth(
    *, seed: int = 42, n_profiles: int = 12, posts_per_profile: int = 32, image_size: int = 256
) -> dict[str, Any]:
    """The themes ``write_demo_download`` gives every profile and post, without writing.

    Returns ``{"seed": int, "profiles": {username: theme}, "posts": {shortcode: theme},
    "themes": [...]}``: validation data only, never a feature.
    """
    _validate(n_profiles, posts_per_profile, image_size)
    return _ground_truth(seed, _plan(seed, n_profiles, posts_per_profile))


# ----------------------------------------------------------------------------- drawing
Color = tuple[int, int, int]


def _jitter(color: Color, rng: random.Random, amount: int = 18) -> Color:
    return tuple(min(255, max(0, c + rng.randint(-amount, amount))) for c in color)  # type: ignore[return-value]


def _mix(a: Color, b: Color, t: float) -> Color:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _vertical_gradient(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: Color, bottom: Color
) -> None:
    x0, y0, x1, y1 = box
    for y in range(y0, y1):
        draw.line([(x0, y), (x1, y)], fill=_mix(top, bottom, (y - y0) / max(1, y1 - y0 - 1)))


def _rotated(
    points: Sequence[tuple[float, float]], angle: float, center: tuple[float, float]
) -> list[tuple[float, float]]:
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = center
    return [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in points]


def _draw_food(image: Image.Image, rng: random.Random) -> None:
    """A table seen from above: wood or a checked cloth, plates of colourful food, a cup."""
    s = image.width
    draw = ImageDraw.Draw(image)
    wood = _jitter(rng.choice([(150, 95, 55), (181, 120, 70), (120, 72, 40), (200, 150, 100)]), rng)
    draw.rectangle([0, 0, s, s], fill=wood)
    if rng.random() < 0.3:
        cloth = rng.choice([(200, 40, 45), (40, 90, 170), (60, 140, 70)])
        cell = s // rng.randint(6, 10)
        for row in range(0, s, cell):
            for col in range(0, s, cell):
                if (row // cell + col // cell) % 2 == 0:
                    draw.rectangle([col, row, col + cell, row + cell], fill=cloth)
    else:
        for y in range(rng.randrange(s // 8), s, s // rng.randint(4, 7)):
            draw.line(
                [(0, y), (s, y + rng.randint(-4, 4))], fill=_mix(wood, (60, 35, 20), 0.35), width=2
            )
    food_colors = [
        (220, 60, 40),
        (250, 180, 40),
        (90, 160, 60),
        (240, 120, 30),
        (150, 40, 60),
        (230, 200, 150),
    ]
    for _ in range(rng.randint(1, 3)):
        radius = rng.uniform(0.15, 0.27) * s
        cx, cy = rng.uniform(radius, s - radius), rng.uniform(radius, s - radius)
        draw.ellipse(
            [cx - radius, cy - radius, cx + radius, cy + radius],
            fill=_jitter((245, 242, 235), rng, 8),
            outline=(190, 185, 180),
            width=2,
        )
        inner = radius * 0.72
        draw.ellipse(
            [cx - inner, cy - inner, cx + inner, cy + inner], outline=(215, 210, 205), width=1
        )
        for _ in range(rng.randint(3, 8)):
            r = rng.uniform(0.12, 0.3) * radius
            angle, distance = rng.uniform(0, 2 * math.pi), rng.uniform(0, inner - r)
            fx, fy = cx + distance * math.cos(angle), cy + distance * math.sin(angle)
            squash = rng.uniform(0.6, 1.0)
            draw.ellipse(
                [fx - r, fy - r * squash, fx + r, fy + r * squash],
                fill=_jitter(rng.choice(food_colors), rng, 25),
            )
    if rng.random() < 0.6:
        r = s * 0.08
        cx, cy = rng.uniform(r, s - r), rng.uniform(r, s - r)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(235, 235, 230))
        draw.ellipse(
            [cx - r * 0.75, cy - r * 0.75, cx + r * 0.75, cy + r * 0.75],
            fill=_jitter((110, 65, 35), rng),
        )
    if rng.random() < 0.5:
        x = rng.uniform(0.05, 0.95) * s
        draw.rectangle([x, s * 0.15, x + s * 0.02, s * 0.6], fill=(170, 170, 175))


def _draw_fitness(image: Image.Image, rng: random.Random) -> None:
    """A gym: wall and rubber floor, dumbbells, a loaded barbell, a kettlebell."""
    s = image.width
    draw = ImageDraw.Draw(image)
    horizon = rng.uniform(0.35, 0.5) * s
    draw.rectangle(
        [0, 0, s, horizon],
        fill=_jitter(rng.choice([(170, 170, 175), (70, 75, 85), (200, 195, 185)]), rng),
    )
    floor = _jitter((45, 45, 50), rng, 10)
    draw.rectangle([0, horizon, s, s], fill=floor)
    for x in range(0, s, s // 4):
        draw.line(
            [(x, horizon), (x + (x - s / 2) * 0.6, s)], fill=_mix(floor, (0, 0, 0), 0.4), width=2
        )
    draw.rectangle(
        [s * 0.05, horizon * 0.2, s * 0.95, horizon * 0.7], outline=(120, 130, 140), width=3
    )  # mirror
    plate_colors = [(20, 20, 20), (200, 40, 40), (40, 80, 200), (230, 190, 30), (40, 150, 70)]
    for _ in range(rng.randint(1, 4)):
        cx, cy = rng.uniform(0.15, 0.85) * s, rng.uniform(horizon + s * 0.08, s * 0.92)
        half = rng.uniform(0.08, 0.14) * s
        color = rng.choice(plate_colors)
        draw.rectangle([cx - half, cy - s * 0.012, cx + half, cy + s * 0.012], fill=(160, 160, 165))
        for side in (-1, 1):
            x = cx + side * half
            draw.rounded_rectangle(
                [x - s * 0.03, cy - s * 0.05, x + s * 0.03, cy + s * 0.05], radius=4, fill=color
            )
    if rng.random() < 0.7:
        y = rng.uniform(horizon + s * 0.05, s * 0.8)
        draw.rectangle([s * 0.04, y - s * 0.01, s * 0.96, y + s * 0.01], fill=(185, 185, 190))
        color = rng.choice(plate_colors)
        for side in (-1, 1):
            for k in range(rng.randint(1, 3)):
                x = s / 2 + side * (s * 0.32 + k * s * 0.045)
                draw.rounded_rectangle(
                    [x - s * 0.02, y - s * 0.13, x + s * 0.02, y + s * 0.13],
                    radius=5,
                    fill=_jitter(color, rng, 10),
                )
    if rng.random() < 0.4:
        r = s * 0.07
        cx, cy = rng.uniform(0.2, 0.8) * s, rng.uniform(horizon + r * 2, s - r)
        draw.arc(
            [cx - r * 0.7, cy - r * 2.1, cx + r * 0.7, cy - r * 0.5],
            180,
            360,
            fill=(30, 30, 30),
            width=max(2, s // 40),
        )
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=_jitter((35, 35, 38), rng, 8))


def _draw_travel(image: Image.Image, rng: random.Random) -> None:
    """A landscape: sky gradient and sun over mountains or the sea."""
    s = image.width
    draw = ImageDraw.Draw(image)
    sunset = rng.random() < 0.45
    top, bottom = ((90, 50, 130), (250, 150, 80)) if sunset else ((40, 100, 200), (170, 215, 245))
    horizon = int(rng.uniform(0.5, 0.7) * s)
    _vertical_gradient(draw, (0, 0, s, horizon), _jitter(top, rng), _jitter(bottom, rng))
    sun = rng.uniform(0.05, 0.1) * s
    sx, sy = (
        rng.uniform(0.15, 0.85) * s,
        rng.uniform(0.15, 0.55) * horizon + (horizon * 0.3 if sunset else 0),
    )
    draw.ellipse(
        [sx - sun, sy - sun, sx + sun, sy + sun], fill=(255, 170, 60) if sunset else (255, 235, 120)
    )
    if rng.random() < 0.55:
        _vertical_gradient(
            draw, (0, horizon, s, s), _jitter((60, 120, 80), rng), _jitter((30, 80, 50), rng)
        )
        for layer in range(rng.randint(2, 3)):
            base = horizon + layer * s * 0.04
            shade = _mix((70, 80, 110), (40, 60, 50), layer / 3)
            x = -s * 0.1
            while x < s * 1.1:
                width, height = rng.uniform(0.25, 0.5) * s, rng.uniform(0.2, 0.4) * s
                peak = (x + width / 2, base - height)
                draw.polygon([(x, base), peak, (x + width, base)], fill=_jitter(shade, rng, 10))
                if rng.random() < 0.6:
                    cap = 0.25
                    draw.polygon(
                        [
                            peak,
                            (peak[0] - width / 2 * cap, peak[1] + height * cap),
                            (peak[0] + width / 2 * cap, peak[1] + height * cap),
                        ],
                        fill=(245, 245, 250),
                    )
                x += width * rng.uniform(0.5, 0.8)
    else:
        _vertical_gradient(
            draw, (0, horizon, s, s), _jitter((30, 110, 170), rng), _jitter((10, 50, 100), rng)
        )
        for _ in range(rng.randint(6, 14)):
            wx, wy = rng.uniform(0, s), rng.uniform(horizon + 4, s)
            w = rng.uniform(0.04, 0.1) * s
            draw.arc(
                [wx - w, wy - w / 3, wx + w, wy + w / 3], 200, 340, fill=(200, 230, 250), width=2
            )
        if rng.random() < 0.5:
            bx, by = rng.uniform(0.2, 0.8) * s, horizon + s * 0.06
            draw.polygon([(bx, by - s * 0.15), (bx, by), (bx + s * 0.09, by)], fill=(250, 250, 245))
            draw.polygon(
                [
                    (bx - s * 0.08, by),
                    (bx + s * 0.12, by),
                    (bx + s * 0.08, by + s * 0.03),
                    (bx - s * 0.05, by + s * 0.03),
                ],
                fill=(120, 60, 40),
            )
        if rng.random() < 0.5:
            draw.rectangle([0, s * 0.88, s, s], fill=_jitter((230, 205, 150), rng))


def _draw_pets(image: Image.Image, rng: random.Random) -> None:
    """A cat or dog face close up: head, ears, eyes, nose, whiskers."""
    s = image.width
    draw = ImageDraw.Draw(image)
    room = _jitter(
        rng.choice([(240, 225, 200), (210, 230, 220), (225, 215, 240), (250, 235, 215)]), rng
    )
    draw.rectangle([0, 0, s, s], fill=room)
    draw.rectangle([0, s * rng.uniform(0.7, 0.85), s, s], fill=_mix(room, (120, 90, 60), 0.5))
    cat = rng.random() < 0.5
    fur = _jitter(
        rng.choice(
            [(230, 140, 60), (130, 130, 135), (40, 40, 42), (240, 240, 235), (150, 100, 60)]
        ),
        rng,
    )
    r = rng.uniform(0.24, 0.33) * s
    cx, cy = s / 2 + rng.uniform(-0.1, 0.1) * s, s / 2 + rng.uniform(-0.05, 0.1) * s
    darker = _mix(fur, (0, 0, 0), 0.35)
    if cat:
        for side in (-1, 1):
            draw.polygon(
                [
                    (cx + side * r * 0.9, cy - r * 0.3),
                    (cx + side * r * 0.75, cy - r * 1.35),
                    (cx + side * r * 0.2, cy - r * 0.85),
                ],
                fill=fur,
            )
            draw.polygon(
                [
                    (cx + side * r * 0.75, cy - r * 0.5),
                    (cx + side * r * 0.72, cy - r * 1.1),
                    (cx + side * r * 0.4, cy - r * 0.8),
                ],
                fill=(240, 170, 180),
            )
    else:
        for side in (-1, 1):
            draw.ellipse(
                [
                    cx + side * r * 0.95 - r * 0.3,
                    cy - r * 0.7,
                    cx + side * r * 0.95 + r * 0.3,
                    cy + r * 0.5,
                ],
                fill=darker,
            )
    draw.ellipse([cx - r, cy - r * 0.9, cx + r, cy + r * 0.9], fill=fur)
    if not cat:
        draw.ellipse(
            [cx - r * 0.45, cy + r * 0.05, cx + r * 0.45, cy + r * 0.75],
            fill=_mix(fur, (255, 255, 255), 0.5),
        )
    iris = (90, 170, 80) if cat else (70, 45, 25)
    for side in (-1, 1):
        ex, ey, er = cx + side * r * 0.38, cy - r * 0.15, r * 0.15
        draw.ellipse([ex - er, ey - er, ex + er, ey + er], fill=(250, 250, 250))
        draw.ellipse([ex - er * 0.7, ey - er * 0.7, ex + er * 0.7, ey + er * 0.7], fill=iris)
        pupil = er * (0.25 if cat else 0.45)
        draw.ellipse([ex - pupil, ey - er * 0.6, ex + pupil, ey + er * 0.6], fill=(10, 10, 10))
    ny = cy + r * 0.25
    if cat:
        draw.polygon(
            [(cx - r * 0.1, ny), (cx + r * 0.1, ny), (cx, ny + r * 0.1)], fill=(230, 120, 140)
        )
        for side in (-1, 1):
            for k in (-1, 0, 1):
                draw.line(
                    [
                        (cx + side * r * 0.15, ny + r * 0.12),
                        (cx + side * r * 0.9, ny + k * r * 0.15),
                    ],
                    fill=(60, 60, 60),
                    width=1,
                )
    else:
        draw.ellipse([cx - r * 0.14, ny, cx + r * 0.14, ny + r * 0.18], fill=(20, 20, 20))
        draw.arc(
            [cx - r * 0.2, ny + r * 0.1, cx + r * 0.2, ny + r * 0.4],
            20,
            160,
            fill=(40, 30, 30),
            width=2,
        )


def _draw_fashion(image: Image.Image, rng: random.Random) -> None:
    """Clothes on a pastel backdrop: dresses, shirts, a bag, on a rail with hangers."""
    s = image.width
    draw = ImageDraw.Draw(image)
    draw.rectangle(
        [0, 0, s, s],
        fill=_jitter(
            rng.choice(
                [
                    (250, 215, 225),
                    (200, 240, 225),
                    (225, 215, 250),
                    (255, 225, 200),
                    (205, 225, 250),
                ]
            ),
            rng,
            10,
        ),
    )
    rail = s * 0.12
    draw.rectangle([s * 0.05, rail - 2, s * 0.95, rail + 2], fill=(170, 170, 175))
    garment_colors = [
        (200, 30, 60),
        (20, 20, 30),
        (250, 250, 245),
        (60, 90, 180),
        (230, 180, 50),
        (120, 60, 140),
        (40, 130, 110),
    ]
    n = rng.randint(1, 3)
    for k in range(n):
        cx = s * (k + 0.5) / n + rng.uniform(-0.04, 0.04) * s
        w = rng.uniform(0.12, 0.18) * s * (3 / max(n, 2))
        w = min(w, s * 0.2)
        top = rail + s * 0.1
        draw.line([(cx, rail), (cx, rail + s * 0.05)], fill=(120, 120, 120), width=2)
        draw.line(
            [(cx - w * 0.8, top), (cx, rail + s * 0.05), (cx + w * 0.8, top)],
            fill=(120, 120, 120),
            width=2,
        )
        color = _jitter(rng.choice(garment_colors), rng, 12)
        if rng.random() < 0.5:  # dress
            draw.polygon(
                [
                    (cx - w * 0.5, top),
                    (cx + w * 0.5, top),
                    (cx + w * 0.4, top + s * 0.18),
                    (cx + w * 1.1, top + s * 0.62),
                    (cx - w * 1.1, top + s * 0.62),
                    (cx - w * 0.4, top + s * 0.18),
                ],
                fill=color,
            )
            draw.rectangle(
                [cx - w * 0.42, top + s * 0.17, cx + w * 0.42, top + s * 0.2],
                fill=_mix(color, (0, 0, 0), 0.3),
            )
        else:  # shirt
            draw.polygon(
                [
                    (cx - w * 0.6, top),
                    (cx - w * 1.3, top + s * 0.14),
                    (cx - w * 0.95, top + s * 0.22),
                    (cx - w * 0.7, top + s * 0.14),
                    (cx - w * 0.7, top + s * 0.5),
                    (cx + w * 0.7, top + s * 0.5),
                    (cx + w * 0.7, top + s * 0.14),
                    (cx + w * 0.95, top + s * 0.22),
                    (cx + w * 1.3, top + s * 0.14),
                    (cx + w * 0.6, top),
                ],
                fill=color,
            )
            draw.polygon(
                [(cx - w * 0.25, top), (cx, top + s * 0.06), (cx + w * 0.25, top)],
                fill=_mix(color, (255, 255, 255), 0.5),
            )
    if rng.random() < 0.6:
        bx, by, bw = rng.uniform(0.2, 0.8) * s, s * 0.85, s * 0.1
        bag = _jitter(rng.choice([(140, 80, 40), (20, 20, 20), (220, 120, 150)]), rng, 10)
        draw.arc(
            [bx - bw * 0.6, by - bw * 1.2, bx + bw * 0.6, by + bw * 0.2],
            180,
            360,
            fill=bag,
            width=3,
        )
        draw.rounded_rectangle([bx - bw, by - bw * 0.5, bx + bw, by + bw * 0.7], radius=6, fill=bag)


def _draw_music(image: Image.Image, rng: random.Random) -> None:
    """A dark stage: coloured spotlights, a guitar and flying notes."""
    s = image.width
    draw = ImageDraw.Draw(image)
    _vertical_gradient(
        draw, (0, 0, s, s), _jitter((15, 10, 35), rng, 8), _jitter((40, 15, 50), rng, 8)
    )
    draw.rectangle([0, s * 0.82, s, s], fill=_jitter((45, 30, 25), rng, 8))
    lights = Image.new("RGBA", image.size, (0, 0, 0, 0))
    light_draw = ImageDraw.Draw(lights)
    for _ in range(rng.randint(2, 4)):
        color = rng.choice([(255, 250, 220), (255, 220, 80), (240, 80, 200), (80, 220, 255)])
        x = rng.uniform(0, s)
        spread = rng.uniform(0.12, 0.25) * s
        foot = x + rng.uniform(-0.25, 0.25) * s
        light_draw.polygon(
            [(x - 4, 0), (x + 4, 0), (foot + spread, s * 0.85), (foot - spread, s * 0.85)],
            fill=(*color, rng.randint(60, 110)),
        )
        light_draw.ellipse([foot - spread, s * 0.8, foot + spread, s * 0.9], fill=(*color, 90))
    image.paste(Image.alpha_composite(image.convert("RGBA"), lights).convert("RGB"))
    draw = ImageDraw.Draw(image)
    if rng.random() < 0.8:
        angle = rng.uniform(-0.9, -0.4)
        center = (rng.uniform(0.35, 0.6) * s, rng.uniform(0.55, 0.7) * s)
        r = rng.uniform(0.1, 0.14) * s
        body = _jitter(
            rng.choice([(180, 40, 30), (200, 130, 60), (20, 20, 20), (230, 220, 200)]), rng, 10
        )
        neck = _rotated(
            [(r * 0.6, -r * 0.12), (r * 3.4, -r * 0.1), (r * 3.4, r * 0.1), (r * 0.6, r * 0.12)],
            angle,
            center,
        )
        head = _rotated(
            [(r * 3.4, -r * 0.18), (r * 4.0, -r * 0.2), (r * 4.0, r * 0.2), (r * 3.4, r * 0.18)],
            angle,
            center,
        )
        draw.polygon(neck, fill=(90, 55, 30))
        draw.polygon(head, fill=(40, 30, 25))
        for offset, scale in ((-0.35, 1.0), (0.55, 0.78)):
            ((bx, by),) = _rotated([(r * offset, 0)], angle, center)
            rr = r * scale
            draw.ellipse([bx - rr, by - rr, bx + rr, by + rr], fill=body)
        ((hx, hy),) = _rotated([(r * 0.3, 0)], angle, center)
        draw.ellipse(
            [hx - r * 0.22, hy - r * 0.22, hx + r * 0.22, hy + r * 0.22], fill=(15, 10, 10)
        )
    for _ in range(rng.randint(2, 5)):
        nx, ny, nr = rng.uniform(0.1, 0.9) * s, rng.uniform(0.1, 0.5) * s, s * 0.025
        color = rng.choice([(255, 255, 255), (255, 220, 80), (120, 220, 255)])
        draw.ellipse([nx - nr * 1.3, ny - nr, nx + nr * 1.3, ny + nr], fill=color)
        draw.line(
            [(nx + nr * 1.2, ny), (nx + nr * 1.2, ny - nr * 5)], fill=color, width=max(2, s // 100)
        )
        draw.line(
            [(nx + nr * 1.2, ny - nr * 5), (nx + nr * 3, ny - nr * 3.5)],
            fill=color,
            width=max(2, s // 100),
        )


THEME_PAINTERS: dict[str, Callable[[Image.Image, random.Random], None]] = {
    "food": _draw_food,
    "fitness": _draw_fitness,
    "travel": _draw_travel,
    "pets": _draw_pets,
    "fashion": _draw_fashion,
    "music": _draw_music,
}


def draw_theme_image(theme: str, rng: random.Random, size: int = 256) -> Image.Image:
    """A ``size`` × ``size`` RGB picture of ``theme``, its layout and colours drawn from ``rng``."""
    image = Image.new("RGB", (size, size))
    THEME_PAINTERS[theme](image, rng)
    return image


def _draw_profile_pic(rng: random.Random, size: int) -> Image.Image:
    """An avatar: a person's silhouette on a coloured disc."""
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    background = _jitter(
        rng.choice([(250, 200, 120), (150, 200, 240), (200, 160, 230), (160, 220, 170)]), rng
    )
    draw.ellipse([0, 0, size - 1, size - 1], fill=background)
    skin = _jitter(
        rng.choice([(240, 200, 170), (200, 150, 110), (140, 95, 60), (90, 60, 40)]), rng, 8
    )
    shirt = _jitter((60, 60, 90), rng, 50)
    draw.ellipse([size * 0.2, size * 0.65, size * 0.8, size * 1.2], fill=shirt)
    draw.ellipse([size * 0.33, size * 0.2, size * 0.67, size * 0.58], fill=skin)
    hair = _jitter(rng.choice([(40, 25, 15), (120, 70, 30), (220, 190, 120), (20, 20, 20)]), rng, 8)
    draw.chord([size * 0.31, size * 0.16, size * 0.69, size * 0.5], 180, 360, fill=hair)
    return image


# ----------------------------------------------------------------------------- writing
def _save_jpeg(image: Image.Image, path: Path, timestamp: int) -> None:
    image.save(path, "JPEG", quality=JPEG_QUALITY)
    os.utime(path, (timestamp, timestamp))


def _write_xz_json(structure: dict[str, Any], path: Path, timestamp: int) -> None:
    """As instaloader's ``save_structure_to_file``: compact ASCII JSON, xz without check."""
    text = json.dumps(structure, separators=(",", ":"))
    path.write_bytes(
        lzma.compress(text.encode("ascii"), format=lzma.FORMAT_XZ, check=lzma.CHECK_NONE)
    )
    os.utime(path, (timestamp, timestamp))


def _write_text(text: str, path: Path, timestamp: int) -> None:
    path.write_bytes(text.encode("utf-8"))
    os.utime(path, (timestamp, timestamp))


def minimal_mp4(duration_ms: int) -> bytes:
    """A minimal valid MP4 container: an ``ftyp`` box and a ``moov`` box with only ``mvhd``."""
    ftyp = b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41"
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = (
        struct.pack(">B3xIIII", 0, 0, 0, 1000, duration_ms)
        + struct.pack(">IH10x", 0x10000, 0x100)
        + matrix
        + bytes(24)
        + struct.pack(">I", 1)
    )

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    return box(b"ftyp", ftyp) + box(b"moov", box(b"mvhd", mvhd))


def _url(media: _Media, extension: str = "jpg") -> str:
    return MEDIA_URL.format(media.shortcode, extension)


def _profile_pic_url(profile: _Profile) -> str:
    return f"https://demo.insta-kedro.invalid/profile_pic/{profile.user_id}.jpg"


def _graphql_node(post: _Post, profile: _Profile, size: int, rng: random.Random) -> dict[str, Any]:
    """The post as the anonymous GraphQL API returns it (``taken_at_timestamp``, caption edges)."""
    edges = [{"node": {"text": post.caption}}] if post.caption is not None else []
    node: dict[str, Any] = {
        "id": str(post.media.media_id),
        "__typename": post.typename,
        "edge_media_to_caption": {"edges": edges},
        "shortcode": post.media.shortcode,
        "edge_media_to_comment": {"count": post.comments},
        "comments_disabled": False,
        "taken_at_timestamp": post.timestamp,
        "dimensions": {"height": size, "width": size},
        "display_url": _url(post.media),
        "edge_media_preview_like": {"count": post.likes},
        "owner": {"id": str(profile.user_id), "username": profile.username},
        "thumbnail_src": _url(post.media),
        "is_video": post.media.is_video,
    }
    if post.accessibility_caption is not None:
        node["accessibility_caption"] = post.accessibility_caption
    if post.typename == "GraphVideo":
        node["video_url"] = _url(post.media, "mp4")
        node["video_view_count"] = post.likes * rng.randint(3, 9)
        node["video_duration"] = round(rng.uniform(5, 60), 3)
    if post.children:
        children = []
        for child in post.children:
            child_node: dict[str, Any] = {
                "__typename": "GraphVideo" if child.is_video else "GraphImage",
                "id": str(child.media_id),
                "shortcode": child.shortcode,
                "dimensions": {"height": size, "width": size},
                "display_url": _url(child),
                "is_video": child.is_video,
            }
            if child.is_video:
                child_node["video_url"] = _url(child, "mp4")
                child_node["video_view_count"] = post.likes * rng.randint(3, 9)
            children.append({"node": child_node})
        node["edge_sidecar_to_children"] = {"edges": children}
    return node


def _image_versions(media: _Media, size: int) -> dict[str, Any]:
    return {"candidates": [{"width": size, "height": size, "url": _url(media)}]}


def _iphone_node(post: _Post, profile: _Profile, size: int, rng: random.Random) -> dict[str, Any]:
    """The post as instaloader stores it when logged in (``Post.from_iphone_struct``)."""
    media_type = {"GraphImage": 1, "GraphVideo": 2, "GraphSidecar": 8}[post.typename]
    user = {
        "pk": profile.user_id,
        "username": profile.username,
        "full_name": profile.full_name,
        "is_private": False,
        "profile_pic_url": _profile_pic_url(profile),
        "is_verified": False,
    }
    struct_: dict[str, Any] = {
        "taken_at": post.timestamp,
        "pk": post.media.media_id,
        "id": f"{post.media.media_id}_{profile.user_id}",
        "code": post.media.shortcode,
        "media_type": media_type,
        "caption": (
            None
            if post.caption is None
            else {"text": post.caption, "created_at": post.timestamp, "user_id": profile.user_id}
        ),
        "like_count": post.likes,
        "comment_count": post.comments,
        "has_liked": False,
        "accessibility_caption": post.accessibility_caption,
        "original_width": size,
        "original_height": size,
        "image_versions2": _image_versions(post.media, size),
        "user": user,
    }
    video: dict[str, Any] = {}
    if post.typename == "GraphVideo":
        video = {
            "video_url": _url(post.media, "mp4"),
            "video_duration": round(rng.uniform(5, 60), 3),
            "video_view_count": post.likes * rng.randint(3, 9),
        }
        struct_["video_versions"] = [
            {"type": 101, "width": size, "height": size, "url": video["video_url"]}
        ]
        struct_["video_duration"] = video["video_duration"]
        struct_["view_count"] = video["video_view_count"]
    if post.children:
        struct_["carousel_media_count"] = len(post.children)
        struct_["carousel_media"] = [
            {
                "pk": child.media_id,
                "id": f"{child.media_id}_{profile.user_id}",
                "media_type": 2 if child.is_video else 1,
                "image_versions2": _image_versions(child, size),
                "video_versions": (
                    [{"type": 101, "width": size, "height": size, "url": _url(child, "mp4")}]
                    if child.is_video
                    else None
                ),
            }
            for child in post.children
        ]
    node: dict[str, Any] = {
        "shortcode": post.media.shortcode,
        "id": post.media.media_id,
        "__typename": post.typename,
        "is_video": post.media.is_video,
        "date": post.timestamp,
        "caption": post.caption,
        "title": None,
        "viewer_has_liked": False,
        "edge_media_preview_like": {"count": post.likes},
        "accessibility_caption": post.accessibility_caption,
        "comments": post.comments,
        "iphone_struct": struct_,
        "display_url": _url(post.media),
        **video,
    }
    if post.children:
        node["edge_sidecar_to_children"] = {
            "edges": [
                {
                    "node": {
                        "display_url": _url(child),
                        "is_video": child.is_video,
                        **({"video_url": _url(child, "mp4")} if child.is_video else {}),
                    }
                }
                for child in post.children
            ]
        }
    node["owner"] = {
        "id": profile.user_id,
        "username": profile.username,
        "is_private": False,
        "full_name": profile.full_name,
        "profile_pic_url_hd": _profile_pic_url(profile),
        "iphone_struct": user,
    }
    return node


def _profile_node(profile: _Profile) -> dict[str, Any]:
    category_name, category_enum = BUSINESS_CATEGORIES[profile.theme]
    node: dict[str, Any] = {
        "biography": profile.biography,
        "external_url": None,
        "edge_followed_by": {"count": profile.follower_count},
        "edge_follow": {"count": profile.followee_count},
        "full_name": profile.full_name,
        "highlight_reel_count": 0,
        "id": str(profile.user_id),
        "is_business_account": profile.is_business,
        "business_category_name": category_name if profile.is_business else None,
        "overall_category_name": None,
        "category_enum": category_enum if profile.is_business else None,
        "is_private": False,
        "is_verified": False,
        "profile_pic_url": _profile_pic_url(profile),
        "profile_pic_url_hd": _profile_pic_url(profile),
        "username": profile.username,
    }
    if profile.schema == "iphone":
        node["iphone_struct"] = {
            "pk": profile.user_id,
            "username": profile.username,
            "full_name": profile.full_name,
            "is_private": False,
            "profile_pic_url": _profile_pic_url(profile),
            "is_verified": False,
            "media_count": len(profile.posts),
            "follower_count": profile.follower_count,
            "following_count": profile.followee_count,
            "biography": profile.biography,
            "category": category_name if profile.is_business else None,
        }
    return node


def _iterator_structure(profile: _Profile, rng: random.Random) -> tuple[str, dict[str, Any]]:
    """instaloader's resume state (``FrozenNodeIterator``) and its file name's magic."""
    query_hash = "003056d32c2554def87228bc3fd9668a"
    variables = {"id": profile.user_id}
    referer = f"https://www.instagram.com/{profile.username}/"
    context_username = OWNER_USERNAME if profile.schema == "iphone" else None
    magic = hashlib.blake2b(digest_size=6)
    magic.update(json.dumps([query_hash, variables, referer, context_username]).encode())
    cursor = base64.urlsafe_b64encode(rng.randbytes(24)).decode()
    node = {
        "query_hash": query_hash,
        "query_variables": variables,
        "query_referer": referer,
        "context_username": context_username,
        "total_index": len(profile.posts),
        "best_before": float(profile.posts[-1].timestamp + 86_400),
        "remaining_data": {
            "count": len(profile.posts) + rng.randint(20, 400),
            "page_info": {"has_next_page": True, "end_cursor": cursor},
            "edges": [],
        },
        "first_node": None,
        "doc_id": None,
    }
    return base64.urlsafe_b64encode(magic.digest()).decode(), node


def _write_post(post: _Post, profile: _Profile, folder: Path, seed: int, size: int) -> None:
    rng = random.Random(f"{seed}/post/{post.media.shortcode}")
    node = (_graphql_node if profile.schema == "graphql" else _iphone_node)(
        post, profile, size, rng
    )
    structure = {"node": node, "instaloader": {"version": INSTALOADER_VERSION, "node_type": "Post"}}
    _write_xz_json(structure, folder / f"{post.stem}.json.xz", post.timestamp)
    if post.caption is not None:
        _write_text(post.caption + "\n", folder / f"{post.stem}.txt", post.timestamp)
    media = post.children or (post.media,)
    for number, item in enumerate(media, start=1):
        suffix = f"_{number}" if post.children else ""
        image_rng = random.Random(f"{seed}/image/{item.shortcode}")
        image = draw_theme_image(post.theme, image_rng, size)
        _save_jpeg(image, folder / f"{post.stem}{suffix}.jpg", post.timestamp)
        if item.is_video:
            path = folder / f"{post.stem}{suffix}.mp4"
            path.write_bytes(minimal_mp4(image_rng.randint(5_000, 60_000)))
            os.utime(path, (post.timestamp, post.timestamp))


def _write_profile(profile: _Profile, folder: Path, seed: int, size: int) -> None:
    folder.mkdir()
    rng = random.Random(f"{seed}/profile-files/{profile.username}")
    stamp = profile.profile_pic_timestamp
    _write_xz_json(
        {
            "node": _profile_node(profile),
            "instaloader": {"version": INSTALOADER_VERSION, "node_type": "Profile"},
        },
        folder / f"{profile.username}_{profile.user_id}.json.xz",
        stamp,
    )
    _write_text(f"{profile.user_id}\n", folder / "id", stamp)
    pic_name = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d_%H-%M-%S_UTC_profile_pic.jpg")
    _save_jpeg(_draw_profile_pic(rng, size), folder / pic_name, stamp)
    magic, iterator = _iterator_structure(profile, rng)
    _write_xz_json(
        {
            "node": iterator,
            "instaloader": {"version": INSTALOADER_VERSION, "node_type": "FrozenNodeIterator"},
        },
        folder / f"iterator_{magic}.json.xz",
        stamp,
    )
    last = profile.posts[-1].timestamp
    _write_text(
        json.dumps(list(profile.followers), ensure_ascii=False), folder / "followers.json", last
    )
    _write_text(
        json.dumps(list(profile.followees), ensure_ascii=False), folder / "followees.json", last
    )
    for post in profile.posts:
        _write_post(post, profile, folder, seed, size)


def write_demo_download(
    folder: Path,
    *,
    seed: int = 42,
    n_profiles: int = 12,
    posts_per_profile: int = 32,
    image_size: int = 256,
) -> dict[str, Any]:
    """Write a synthetic instaloader download into ``folder`` (missing or empty).

    Returns the ground truth, as ``demo_ground_truth``. Same arguments, same bytes.
    """
    _validate(n_profiles, posts_per_profile, image_size)
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(
            f"{folder} is not empty: the demo download is written only into a new folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    profiles = _plan(seed, n_profiles, posts_per_profile)
    for profile in profiles:
        _write_profile(profile, folder / profile.username, seed, image_size)
    return _ground_truth(seed, profiles)


def _missing_post_files(folder: Path, profiles: Sequence[_Profile]) -> int:
    """How many post JSON files the plan expects that ``folder`` lacks."""
    missing = 0
    for profile in profiles:
        present = {path.name for path in (folder / profile.username).glob("*_UTC.json.xz")}
        missing += sum(f"{post.stem}.json.xz" not in present for post in profile.posts)
    return missing


def _holds_files(folder: Path) -> bool:
    """True when ``folder`` has a file anywhere below it (empty sub-folders do not count)."""
    return folder.is_dir() and any(path.is_file() for path in folder.rglob("*"))


def ensure_demo_download(
    folder: Path,
    *,
    seed: int = 42,
    n_profiles: int = 12,
    posts_per_profile: int = 32,
    image_size: int = 256,
) -> dict[str, Any]:
    """Generate the demo download into ``folder`` unless it already exists; return the ground truth.

    The files are written into a temporary sibling folder that is renamed into place at the
    end, so an interrupted generation never leaves a half folder that looks complete.
    The settings are ``write_demo_download``'s. A folder holding files is never touched; a
    warning says so when it does not hold the posts these settings would generate. A folder
    of empty sub-folders only (what deleting the files leaves) is generated again.
    """
    folder = Path(folder)
    settings = {
        "seed": seed,
        "n_profiles": n_profiles,
        "posts_per_profile": posts_per_profile,
        "image_size": image_size,
    }
    _validate(n_profiles, posts_per_profile, image_size)
    if _holds_files(folder):
        profiles = _plan(seed, n_profiles, posts_per_profile)
        truth = _ground_truth(seed, profiles)
        missing = _missing_post_files(folder, profiles)
        if missing:
            logger.warning(
                "%s was not generated with these demo settings (%d of %d expected posts missing):"
                " delete the folder to generate it again",
                folder,
                missing,
                len(truth["posts"]),
            )
        else:
            logger.info("Demo download %s already exists: generation skipped", folder)
        return truth
    folder.parent.mkdir(parents=True, exist_ok=True)
    for stale in folder.parent.glob(f".{folder.name}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    started = time.perf_counter()
    try:
        truth = write_demo_download(partial, **settings)
        if folder.exists():
            shutil.rmtree(folder)  # empty folders only (``_holds_files`` said so)
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    logger.info(
        "Wrote the demo download (%d profiles, %d posts) to %s in %.1f s",
        len(truth["profiles"]),
        len(truth["posts"]),
        folder,
        time.perf_counter() - started,
    )
    return truth
