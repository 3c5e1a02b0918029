"""Writing the drawn demo in instaloader's layout on disk.

``write_demo_download`` writes one sub-folder per profile in instaloader's exact layout
(``{target}`` / ``{date_utc}_UTC``): post metadata as xz-compressed JSON in both schemas
instaloader produces (the anonymous GraphQL node for half of the profiles, the logged-in
"iphone struct" node for the other half), captions as ``.txt``, the drawn images as JPEG
(carousels as ``_1.jpg`` …), video posts, profile JSON, ``id``, profile picture and a resume
iterator file. The follow graph is written as insta_kedro's own ``followers.json`` /
``followees.json`` lists; the profile JSON counts the whole audience.

No video encoder is available offline, so every ``.mp4`` is a minimal valid MP4 container
(an ``ftyp`` box and a ``moov`` box whose ``mvhd`` carries the duration, no tracks); the
video's ``.jpg`` thumbnail is a real drawn image.

Same settings give byte-identical files: xz/JSON/JPEG output has no time stamps, and file
modification times are set to the post dates (as instaloader does), never to the clock.
``ensure_demo_download`` writes into a temporary sibling folder renamed into place at the
end, so an interrupted generation never leaves a half folder that looks complete.
"""

import base64
import hashlib
import json
import logging
import lzma
import os
import random
import shutil
import struct
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from insta_kedro.ingestion.demo.draw import (
    _draw_profile_pic,
    _draw_profiles,
    draw_theme_image,
)
from insta_kedro.ingestion.demo.plan import (
    BUSINESS_CATEGORIES,
    OWNER_USERNAME,
    _ground_truth,
    _Media,
    _Post,
    _Profile,
    _validate,
)

logger = logging.getLogger(__name__)

INSTALOADER_VERSION = "4.16"
JPEG_QUALITY = 85
MEDIA_URL = "https://demo.insta-kedro.invalid/media/{}.{}"


def _save_jpeg(image: Image.Image, path: Path, timestamp: int) -> None:
    """Save ``image`` as a JPEG at ``path``, its modification time set to ``timestamp``."""
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
    """Write ``text`` as UTF-8 to ``path``, its modification time set to ``timestamp``."""
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
    """The (unreachable) URL of ``media``'s file with this extension."""
    return MEDIA_URL.format(media.shortcode, extension)


def _profile_pic_url(profile: _Profile) -> str:
    """The (unreachable) URL of ``profile``'s picture."""
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
    """The iphone struct's ``image_versions2``: one ``size`` × ``size`` candidate."""
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
    """The profile as instaloader stores it (with the ``iphone_struct`` when logged in)."""
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
    """Write ``post``'s files into ``folder``: its JSON, caption ``.txt`` (when it has a
    caption), a drawn ``size`` × ``size`` JPEG per image (numbered in a carousel) and an MP4
    per video."""
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
    """Create ``folder`` (new) and write ``profile`` into it: profile JSON, ``id``, profile
    picture, resume iterator, the follow lists, then every post."""
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
    profiles = _draw_profiles(seed, n_profiles, posts_per_profile)
    for profile in profiles:
        _write_profile(profile, folder / profile.username, seed, image_size)
    return _ground_truth(seed, profiles)


def _post_file_differences(folder: Path, profiles: Sequence[_Profile]) -> tuple[int, int]:
    """How many post JSON files the plan of ``profiles`` expects that ``folder`` lacks, and how
    many ``folder`` holds that the plan does not expect (another seed, more profiles or posts)."""
    expected = {
        f"{profile.username}/{post.stem}.json.xz" for profile in profiles for post in profile.posts
    }
    present = {path.relative_to(folder).as_posix() for path in folder.glob("*/*_UTC.json.xz")}
    return len(expected - present), len(present - expected)


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
    warning says so when its posts are not exactly the ones these settings make (more, fewer
    or other ones). A folder of empty sub-folders only (what deleting the files leaves) is
    generated again.
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
        profiles = _draw_profiles(seed, n_profiles, posts_per_profile)
        truth = _ground_truth(seed, profiles)
        missing, unexpected = _post_file_differences(folder, profiles)
        if missing or unexpected:
            logger.warning(
                "%s was not generated with these demo settings (%d of %d expected posts missing,"
                " %d posts these settings do not make): delete the folder to generate it again",
                folder,
                missing,
                len(truth["posts"]),
                unexpected,
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
