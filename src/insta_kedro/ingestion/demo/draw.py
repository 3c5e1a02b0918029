"""Drawing the demo's content from seeded generators: each profile's audience counts, ids and
posts (timestamps, media ids and shortcodes, off-theme posts, carousels and videos, captions
in an Instagram voice, likes, comments, alt text), and the pictures as pixels (a scene per
theme drawn with PIL, an avatar).

Every draw comes from a ``random.Random`` seeded with the seed and a stable key
(``{seed}/profile/{username}`` for a profile and its posts; ``write`` seeds each picture
with its shortcode), so the same settings draw the same content. Nothing here touches the
disk.
"""

import math
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PIL import Image, ImageDraw

from insta_kedro.ingestion.demo.plan import (
    CAROUSEL_SHARE,
    CAROUSEL_VIDEO_ITEM_SHARE,
    MAIN_THEME_SHARE,
    NO_CAPTION_SHARE,
    THEMES,
    TIME_SPAN,
    TIME_START,
    VIDEO_SHARE,
    _Account,
    _ground_truth,
    _Media,
    _mentionable,
    _plan_accounts,
    _Post,
    _Profile,
    _validate,
)

INSTAGRAM_EPOCH_MS = 1_314_220_021_721
SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

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


def _draw_posts(
    rng: random.Random,
    account: _Account,
    *,
    n_posts: int,
    mentionable: dict[str, list[str]],
    taken_times: set[int],
    taken_ids: set[int],
    follower_count: int,
) -> tuple[_Post, ...]:
    """The ``n_posts`` posts of ``account``, oldest first, drawn from ``rng``.

    Timestamps fall in the demo year, none twice across the download (``taken_times``, which
    grows), and media ids are never reused (``taken_ids``, which grows); about 15 % of the
    posts are of another theme; likes are a few per cent of ``follower_count``. Captions
    @mention names from ``mentionable`` (per theme, and ``"*"``: everyone).
    """
    username, full_name, theme = account.username, account.full_name, account.theme
    schema, force_examples = account.schema, account.carries_examples
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


def _draw_profiles(seed: int, n_profiles: int, posts_per_profile: int) -> tuple[_Profile, ...]:
    """Every decision of the generator except the pixels, from the seed alone: the planned
    accounts (``plan``) with their drawn counts, user ids and ``posts_per_profile`` posts."""
    accounts = _plan_accounts(seed, n_profiles)
    mentionable = _mentionable(accounts)
    taken_times: set[int] = set()
    taken_ids: set[int] = set()
    profiles = []
    for account in accounts:
        rng = random.Random(f"{seed}/profile/{account.username}")
        follower_count = len(account.followers) + rng.randrange(800, 30_000)
        followee_count = len(account.followees) + rng.randrange(50, 900)
        posts = _draw_posts(
            rng,
            account,
            n_posts=posts_per_profile,
            mentionable=mentionable,
            taken_times=taken_times,
            taken_ids=taken_ids,
            follower_count=follower_count,
        )
        profiles.append(
            _Profile(
                username=account.username,
                full_name=account.full_name,
                biography=account.biography,
                user_id=rng.randrange(10**9, 6 * 10**10),
                theme=account.theme,
                schema=account.schema,
                is_business=rng.random() < 0.4,
                profile_pic_timestamp=TIME_START - rng.randrange(30 * 86_400, TIME_SPAN),
                posts=posts,
                followers=account.followers,
                followees=account.followees,
                follower_count=follower_count,
                followee_count=followee_count,
            )
        )
    return tuple(profiles)


def demo_ground_truth(
    *, seed: int = 42, n_profiles: int = 12, posts_per_profile: int = 32, image_size: int = 256
) -> dict[str, Any]:
    """The themes ``write_demo_download`` gives every profile and post, without writing.

    Returns ``{"seed": int, "profiles": {username: theme}, "posts": {shortcode: theme},
    "themes": [...]}``: validation data only, never a feature.
    """
    _validate(n_profiles, posts_per_profile, image_size)
    return _ground_truth(seed, _draw_profiles(seed, n_profiles, posts_per_profile))


# ----------------------------------------------------------------------------- pictures
Color = tuple[int, int, int]


def _jitter(color: Color, rng: random.Random, amount: int = 18) -> Color:
    """``color`` with each channel moved by up to ``amount`` (drawn from ``rng``), kept in 0-255."""
    return tuple(min(255, max(0, c + rng.randint(-amount, amount))) for c in color)  # type: ignore[return-value]


def _mix(a: Color, b: Color, t: float) -> Color:
    """The colour a fraction ``t`` of the way from ``a`` to ``b``, rounded."""
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _vertical_gradient(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: Color, bottom: Color
) -> None:
    """Fill ``box`` (x0, y0, x1, y1) line by line from ``top`` to ``bottom``."""
    x0, y0, x1, y1 = box
    for y in range(y0, y1):
        draw.line([(x0, y), (x1, y)], fill=_mix(top, bottom, (y - y0) / max(1, y1 - y0 - 1)))


def _rotated(
    points: Sequence[tuple[float, float]], angle: float, center: tuple[float, float]
) -> list[tuple[float, float]]:
    """``points`` rotated by ``angle`` (radians) about the origin, then moved to ``center``."""
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
