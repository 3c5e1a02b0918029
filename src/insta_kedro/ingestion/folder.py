"""Read an instaloader download folder into the `posts`, `profiles` and `follows` tables.

Every source of posts (demo generator, existing folder, live download) ends as one folder
in instaloader's default layout, one sub-folder per profile::

    <folder>/anna.cooks/2021-03-04_18-22-10_UTC.json.xz     post metadata (xz JSON)
    <folder>/anna.cooks/2021-03-04_18-22-10_UTC.txt         caption (when there is one)
    <folder>/anna.cooks/2021-03-04_18-22-10_UTC_1.jpg       carousel items (_N.jpg / _N.mp4)
    <folder>/anna.cooks/anna.cooks_123.json.xz              profile metadata
    <folder>/anna.cooks/followers.json                      insta_kedro's follow lists
    <folder>/anna.cooks/followees.json

`parse_download_folder` turns it into data frames plus a report in which every file of the
folder is counted exactly once as parsed, ignored or skipped (with the reason). Bad input
never crashes the parse and never vanishes silently: it is counted.
"""

import json
import logging
import lzma
import os
import re
import stat
import time
import unicodedata
from collections import Counter
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image, ImageFile

from insta_kedro.text import extract_hashtags, extract_mentions
from insta_kedro.vision import decodes

logger = logging.getLogger(__name__)

POST_COLUMNS = [
    "post_id",
    "profile",
    "taken_at",
    "caption",
    "has_caption",
    "hashtags",
    "mentions",
    "likes",
    "comments",
    "typename",
    "is_video",
    "n_media",
    "image_path",
    "accessibility_caption",
]
POST_DTYPES = {
    "post_id": "object",
    "profile": "object",
    "taken_at": "datetime64[ns, UTC]",
    "caption": "object",
    "has_caption": "bool",
    "hashtags": "object",
    "mentions": "object",
    "likes": "Int64",
    "comments": "Int64",
    "typename": "object",
    "is_video": "bool",
    "n_media": "int64",
    "image_path": "object",
    "accessibility_caption": "object",
}
PROFILE_COLUMNS = [
    "profile",
    "user_id",
    "full_name",
    "biography",
    "followers",
    "followees",
    "is_verified",
    "is_business",
    "category",
    "is_private",
    "followers_known",
    "followees_known",
]
PROFILE_DTYPES = {
    "profile": "object",
    "user_id": "object",
    "full_name": "object",
    "biography": "object",
    "followers": "Int64",
    "followees": "Int64",
    "is_verified": "bool",
    "is_business": "bool",
    "category": "object",
    "is_private": "boolean",
    "followers_known": "bool",
    "followees_known": "bool",
}
FOLLOW_COLUMNS = ["follower", "followee"]

INT64_MAX = 2**63 - 1
LOGGED_FILES = 10  # skipped files named in the log per reason; the report names them all
ROOT_KEY = "<root>"
"""Report key of the files lying at the top level of the download folder."""
PRIVATE_PROFILE = "profile_private"  # skipped: a post or follow list of a profile gone private

TYPENAMES = ("GraphImage", "GraphVideo", "GraphSidecar")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
FOLLOW_FILES = {"followers.json": "followers", "followees.json": "followees"}

_POST_FILE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2})_UTC(?P<rest>.*)$")
_MEDIA_REST = re.compile(r"^(?:_(?P<index>\d+))?(?P<ext>\.[A-Za-z0-9]+)$")
_PROFILE_JSON = re.compile(r"^.+_\d+\.json(?:\.xz)?$")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a UTF-16 surrogate escaped in JSON
_SURROGATE = re.compile("[\ud800-\udfff]")
_NODE_KEYS = (
    "shortcode",
    "id",
    "__typename",
    "taken_at_timestamp",
    "date",
    "edge_media_to_caption",
    "caption",
    "is_video",
    "edge_media_preview_like",
)


@dataclass(frozen=True)
class ParsedDownload:
    """The tables read from one download folder.

    Attributes:
        posts: one row per post, columns `POST_COLUMNS` with `POST_DTYPES`, sorted by
            profile and `taken_at`.
        profiles: one row per profile sub-folder, columns `PROFILE_COLUMNS`.
        follows: `follower`, `followee` usernames, de-duplicated and sorted.
        report: JSON-serializable counts, see `parse_download_folder`.
    """

    posts: pd.DataFrame
    profiles: pd.DataFrame
    follows: pd.DataFrame
    report: dict


# The folders instaloader names after a target that is no profile: "#hashtag", ":feed",
# ":stories", ":saved", "%location". Their posts are many people's.
NOT_PROFILE_TARGETS = ("#", ":", "%")


def is_profile_folder(path: Path) -> bool:
    """A profile of an instaloader download: a sub-folder whose name is not hidden, nor that
    of a target which is no profile (:data:`NOT_PROFILE_TARGETS`)."""
    return path.is_dir() and not path.name.startswith((".", *NOT_PROFILE_TARGETS))


def parse_download_folder(
    folder: str | Path,
    *,
    max_posts_per_profile: int | None = None,
    private_profiles: Collection[str] = (),
) -> ParsedDownload:
    """Parse an instaloader download folder (one sub-folder per profile).

    Posts:
        - `post_id` is the shortcode. A post whose metadata JSON is missing or unreadable
          but that has a caption `.txt` or media files gets `<profile>/<file stem>`
          (e.g. `anna.cooks/2021-03-04_18-22-10_UTC`). A shortcode already seen (the same
          post in two folders) is skipped as `duplicate_post`.
        - `taken_at` comes from the JSON (`taken_at_timestamp` or `date`), else from the
          file name. A post with no valid time (none in its JSON, or one outside pandas'
          years 1677-2262, and no real date in its file name, e.g. `2021-02-30_…`) has its
          files skipped as `invalid_date`. The caption is the JSON's, else the `.txt`'s.
        - `image_path` is the absolute path of the first decodable image of the post
          (`_1.jpg` for a carousel, the thumbnail of a video); None when the post has no
          decodable image. Every image is decoded once (reduced-size JPEG decode) so that
          corrupt and truncated files are found.
        - `accessibility_caption` is the post's, else its first carousel item's, else null.
        - `likes`/`comments` are null when unknown (absent or negative).
    Profiles: one row per sub-folder; without a readable `<name>_<id>.json.xz` the row
    has null values, and `is_verified`/`is_business` are False. `followers_known` /
    `followees_known` say whether the profile's own `followers.json` / `followees.json`
    was read: without it the profile's list is unknown (not downloaded, or unavailable
    from Instagram), which is not the same as empty.

    Args:
        folder: the download folder.
        max_posts_per_profile: keep only the newest N posts of each profile; the files of
            the others are counted as skipped `over_max_posts`. None keeps all.
        private_profiles: folder names of profiles that are private now and whose posts
            may not be read any more (the live download found them private and not
            followed). The files of their posts and follow lists, downloaded while they
            were public, are counted as skipped `profile_private`: no post and no follow of
            theirs is read. Their profile row is kept.

    Returns:
        The tables and a report ``{"folder", "profiles": {name: counts}, "totals": counts}``
        where counts are `files_seen`, `files_parsed`, `posts_parsed`,
        `posts_with_caption`, `skipped` {reason: n}, `ignored_files` {reason: n} and
        `warnings` {reason: n} (problems of files that were still parsed, e.g.
        `non_utf8_caption`); totals also hold `profiles` and `profiles_without_posts`.
        Files at the top level of the folder are counted under the key `"<root>"`.

    Raises:
        FileNotFoundError: `folder` does not exist or is not a directory.
        ValueError: `folder` has no profile sub-folder, or `max_posts_per_profile` < 0.
    """
    started = time.perf_counter()
    root = Path(folder).expanduser().absolute()
    if not root.is_dir():
        problem = "does not exist" if not root.exists() else "is not a directory"
        raise FileNotFoundError(
            f"Instagram download folder {root} {problem}. Check the parameter "
            "`ingestion.folder` (a relative path is taken from the project root)."
        )
    if max_posts_per_profile is not None and (
        isinstance(max_posts_per_profile, bool)
        or not isinstance(max_posts_per_profile, int)
        or max_posts_per_profile < 0
    ):
        raise ValueError(
            f"max_posts_per_profile must be null or an integer >= 0, got {max_posts_per_profile!r}"
        )

    root_tally = _Tally()
    profile_dirs: list[Path] = []
    for entry in sorted(os.scandir(root), key=lambda item: item.name):
        if is_profile_folder(Path(entry.path)):
            profile_dirs.append(Path(entry.path))
        elif not _is_dir(entry):
            root_tally.mark(entry.name, "ignored", "top_level_file")
        elif entry.name.startswith(NOT_PROFILE_TARGETS):
            root_tally.mark(entry.name, "ignored", "not_a_profile")
            logger.warning(
                "%s is an instaloader target that is no profile (a hashtag, feed, stories, "
                "saved posts or location): not read as a person.",
                entry.name,
            )
        else:
            root_tally.mark(entry.name, "ignored", "hidden_folder")
    if not profile_dirs:
        raise ValueError(
            f"Instagram download folder {root} has no profile sub-folders; expected "
            "instaloader's layout <folder>/<profile>/<date>_UTC.json.xz ... (hashtag, feed, "
            "stories, saved and location folders are not profiles)"
        )

    posts: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    follows: set[tuple[str, str]] = set()
    profile_reports: dict[str, dict[str, Any]] = {}
    seen_post_ids: set[str] = set()
    previous_flag = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # truncated images must raise, whatever others set
    # PIL decodes without the GIL: images are checked on every core.
    image_checks = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
        for profile_dir in profile_dirs:
            parsed = _ProfileParser(
                profile_dir,
                max_posts_per_profile,
                seen_post_ids,
                image_checks,
                private=profile_dir.name in private_profiles,
            ).parse()
            posts.extend(parsed.posts)
            profiles.append(parsed.profile)
            follows.update(parsed.follows)
            profile_reports[profile_dir.name] = parsed.tally.report(
                len(parsed.posts), sum(post["has_caption"] for post in parsed.posts)
            )
            _log_profile(profile_dir.name, profile_reports[profile_dir.name])
    finally:
        image_checks.shutdown(cancel_futures=True)
        ImageFile.LOAD_TRUNCATED_IMAGES = previous_flag
    if root_tally.status:
        profile_reports[ROOT_KEY] = root_tally.report(0, 0)

    report = {
        "folder": str(root),
        "profiles": profile_reports,
        "totals": _sum_reports(profile_reports, n_profiles=len(profile_dirs)),
    }
    result = ParsedDownload(
        posts=_posts_frame(posts),
        profiles=_frame(profiles, PROFILE_COLUMNS, PROFILE_DTYPES),
        follows=_follows_frame(follows),
        report=report,
    )
    totals = report["totals"]
    logger.info(
        "Parsed %s: %d profiles, %d files, %d posts (%d with caption), %d files skipped in %.2f s",
        root,
        totals["profiles"],
        totals["files_seen"],
        totals["posts_parsed"],
        totals["posts_with_caption"],
        sum(totals["skipped"].values()),
        time.perf_counter() - started,
    )
    return result


class _Tally:
    """The status (parsed / ignored / skipped + reason) of every file of one folder."""

    def __init__(self) -> None:
        self.status: dict[str, tuple[str, str | None]] = {}
        self.warnings: Counter[str] = Counter()

    def mark(self, name: str, status: str, reason: str | None = None) -> None:
        self.status[name] = (status, reason)

    def is_marked(self, name: str) -> bool:
        return name in self.status

    def report(self, posts_parsed: int, posts_with_caption: int) -> dict[str, Any]:
        parsed = sum(status == "parsed" for status, _ in self.status.values())
        skipped_files: dict[str, list[str]] = {}
        for name, (status, reason) in sorted(self.status.items()):
            if status == "skipped":
                skipped_files.setdefault(reason, []).append(name)
        ignored = Counter(reason for status, reason in self.status.values() if status == "ignored")
        report = {
            "files_seen": len(self.status),
            "files_parsed": parsed,
            "posts_parsed": posts_parsed,
            "posts_with_caption": posts_with_caption,
            "skipped": {reason: len(files) for reason, files in sorted(skipped_files.items())},
            "skipped_files": dict(sorted(skipped_files.items())),
            "ignored_files": dict(sorted(ignored.items())),
            "warnings": dict(sorted(self.warnings.items())),
        }
        accounted = parsed + sum(report["skipped"].values()) + sum(ignored.values())
        assert report["files_seen"] == accounted, "every file is parsed, ignored or skipped"
        return report


@dataclass
class _PostFiles:
    """The files of one post, grouped by their `<date>_UTC` stem."""

    stem: str
    date: str
    metadata_files: list[str] = field(default_factory=list)
    metadata: str | None = None
    caption_file: str | None = None
    images: list[tuple[int, str]] = field(default_factory=list)
    videos: list[tuple[int, str]] = field(default_factory=list)
    node: dict[str, Any] | None = None
    taken_at: pd.Timestamp | None = None

    def names(self) -> list[str]:
        names = [*self.metadata_files, self.caption_file]
        names += [name for _, name in self.images + self.videos]
        return [name for name in names if name is not None]


@dataclass
class _ParsedProfile:
    posts: list[dict[str, Any]]
    profile: dict[str, Any]
    follows: set[tuple[str, str]]
    tally: _Tally


class _ProfileParser:
    """Parses one profile sub-folder."""

    def __init__(
        self,
        folder: Path,
        max_posts: int | None,
        seen_post_ids: set[str],
        image_checks: ThreadPoolExecutor,
        *,
        private: bool = False,
    ) -> None:
        self.folder = folder
        self.private = private
        self.name = folder.name
        self.max_posts = max_posts
        self.seen_post_ids = seen_post_ids
        self.tally = _Tally()
        self.image_checks = image_checks
        self.image_problems: dict[str, Future[str | None]] = {}

    def parse(self) -> _ParsedProfile:
        groups: dict[str, _PostFiles] = {}
        profile_files: list[str] = []
        follow_files: list[str] = []
        for entry in sorted(os.scandir(self.folder), key=lambda item: item.name):
            if _is_dir(entry):
                self.tally.mark(entry.name, "ignored", "subfolder")
            elif _is_special(entry):
                self.tally.mark(entry.name, "ignored", "special_file")
            else:
                self._classify(entry.name, groups, profile_files, follow_files)
        if self.private:
            self._skip_private(groups, follow_files)
            groups, follow_files = {}, []
        follows, lists_known = self._parse_follows(follow_files)
        profile = self._parse_profile(profile_files)
        for side in FOLLOW_FILES.values():
            profile[f"{side}_known"] = side in lists_known
        return _ParsedProfile(
            posts=self._parse_posts(groups),
            profile=profile,
            follows=follows,
            tally=self.tally,
        )

    def _skip_private(self, groups: dict[str, _PostFiles], follow_files: list[str]) -> None:
        """Count the files of every post and follow list as skipped ``profile_private``."""
        names = [name for group in groups.values() for name in group.names()] + follow_files
        for name in names:
            self.tally.mark(name, "skipped", PRIVATE_PROFILE)

    # ------------------------------------------------------------------ classification
    def _classify(
        self,
        name: str,
        groups: dict[str, _PostFiles],
        profile_files: list[str],
        follow_files: list[str],
    ) -> None:
        if name.endswith((".temp", ".part")):
            self.tally.mark(name, "ignored", "partial_download")
            return
        match = _POST_FILE.match(name)
        if match is None:
            if name == "id":
                self.tally.mark(name, "ignored", "id_file")
            elif name.startswith("iterator_") and name.endswith((".json.xz", ".json")):
                self.tally.mark(name, "ignored", "iterator_state")
            elif name in FOLLOW_FILES:
                follow_files.append(name)
            elif _PROFILE_JSON.match(name):
                profile_files.append(name)
            else:
                self.tally.mark(name, "ignored", "unknown_file")
            return

        date, rest = match.group("date"), match.group("rest")
        stem = f"{date}_UTC"
        group = groups.setdefault(stem, _PostFiles(stem=stem, date=date))
        media = _MEDIA_REST.match(rest)
        lower_rest = rest.lower()
        if rest in (".json.xz", ".json"):
            # instaloader's own .json.xz is read first; a plain .json is the fallback
            group.metadata_files.insert(
                0 if rest == ".json.xz" else len(group.metadata_files), name
            )
        elif rest == ".txt":
            group.caption_file = name
        elif re.fullmatch(r"_old_\d+\.txt", rest):
            self.tally.mark(name, "ignored", "old_caption")
        elif rest == "_comments.json":
            self.tally.mark(name, "ignored", "comments")
        elif rest == "_location.txt":
            self.tally.mark(name, "ignored", "location")
        elif lower_rest.startswith("_profile_pic."):
            self.tally.mark(name, "ignored", "profile_pic")
        elif media and media.group("ext").lower() in IMAGE_SUFFIXES:
            group.images.append((int(media.group("index") or 0), name))
        elif media and media.group("ext").lower() == ".mp4":
            group.videos.append((int(media.group("index") or 0), name))
        else:
            self.tally.mark(name, "ignored", "unknown_file")

    # ------------------------------------------------------------------ posts
    def _parse_posts(self, groups: dict[str, _PostFiles]) -> list[dict[str, Any]]:
        candidates: list[_PostFiles] = []
        for group in groups.values():
            group.images.sort()
            group.videos.sort()
            if not self._read_metadata(group):
                for name in group.names():
                    self.tally.mark(name, "skipped", "not_a_post")
                continue
            has_media = bool(group.images or group.videos)
            if (
                group.node is None
                and group.caption_file is None
                and not (group.metadata_files and has_media)
            ):
                for name in group.names():
                    if not self.tally.is_marked(name):
                        self.tally.mark(name, "skipped", "orphan_media")
                continue
            group.taken_at = _taken_at(group)
            if group.taken_at is None:
                for name in group.names():
                    self.tally.mark(name, "skipped", "invalid_date")
                continue
            candidates.append(group)

        candidates.sort(key=lambda group: (group.taken_at, group.stem), reverse=True)
        for group in candidates[: self.max_posts]:  # the images of the posts likely kept
            for _, name in group.images:
                self.image_problems[name] = self.image_checks.submit(
                    _image_problem, self.folder / name
                )
        posts: list[dict[str, Any]] = []
        for group in candidates:
            if self.max_posts is not None and len(posts) >= self.max_posts:
                reason = "over_max_posts"
                post = None
            else:
                post = self._build_post(group)
                reason = "duplicate_post"
                if post is not None and post["post_id"] not in self.seen_post_ids:
                    self.seen_post_ids.add(post["post_id"])
                    posts.append(post)
                    continue
                if post is None:
                    reason = "no_usable_file"
            for name in group.names():
                status, _ = self.tally.status.get(name, ("", None))
                if status != "skipped":
                    self.tally.mark(name, "skipped", reason)
        return posts

    def _read_metadata(self, group: _PostFiles) -> bool:
        """Sets ``group.node`` from the first metadata file that holds a post; False when
        a file says it is something else (a story item, a highlight).

        A second readable file is ignored as ``duplicate_metadata``; an unusable one is
        skipped with its reason, and the next one is tried.
        """
        for name in group.metadata_files:
            if group.node is not None:
                self.tally.mark(name, "ignored", "duplicate_metadata")
                continue
            data, reason = _read_json(self.folder / name, self.tally.warnings)
            if reason is None and _get(data, "instaloader", "node_type") not in (None, "Post"):
                return False
            node = _get(data, "node")
            if reason is None and isinstance(node, dict) and any(k in node for k in _NODE_KEYS):
                group.node, group.metadata = node, name
                self.tally.mark(name, "parsed")
            else:
                self.tally.mark(name, "skipped", reason or "missing_keys")
        return True

    def _build_post(self, group: _PostFiles) -> dict[str, Any] | None:
        node = group.node or {}
        caption = _json_caption(node)
        if group.caption_file is not None and not caption:
            caption = self._read_caption(group.caption_file)
        elif group.caption_file is not None:
            self.tally.mark(group.caption_file, "parsed")
        caption = caption or ""

        image_path = None
        for _, name in group.images:
            checked = self.image_problems.get(name)
            problem = _image_problem(self.folder / name) if checked is None else checked.result()
            if problem is None:
                self.tally.mark(name, "parsed")
                image_path = image_path or str(self.folder / name)
            else:
                self.tally.mark(name, "skipped", problem)
        usable_videos = 0
        for _, name in group.videos:
            if _is_mp4(self.folder / name):
                self.tally.mark(name, "parsed")
                usable_videos += 1
            else:
                self.tally.mark(name, "skipped", "corrupt_video")
        # an unreadable caption file (e.g. a dangling link) makes no post by itself
        caption_read = (
            group.caption_file is not None and self.tally.status[group.caption_file][0] == "parsed"
        )
        if group.node is None and not caption_read and not (image_path or usable_videos):
            return None

        typename = _typename(node.get("__typename"), group)
        is_video = node.get("is_video")
        return {
            "post_id": _str_or_none(node.get("shortcode")) or f"{self.name}/{group.stem}",
            "profile": self.name,
            "taken_at": group.taken_at,
            "caption": caption,
            "has_caption": bool(caption.strip()),
            "hashtags": extract_hashtags(caption),
            "mentions": extract_mentions(caption),
            "likes": _count(_get(node, "edge_media_preview_like", "count")),
            "comments": _comment_count(node),
            "typename": typename,
            "is_video": is_video if isinstance(is_video, bool) else typename == "GraphVideo",
            "n_media": _n_media(node, typename, group),
            "image_path": image_path,
            "accessibility_caption": _accessibility_caption(node),
        }

    def _read_caption(self, name: str) -> str:
        """The caption .txt, decoded with replacement characters when it is not UTF-8."""
        try:
            raw = (self.folder / name).read_bytes()
        except OSError:
            self.tally.mark(name, "skipped", "unreadable_file")
            return ""
        self.tally.mark(name, "parsed")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")
            self.tally.warnings["non_utf8_caption"] += 1
        text = text.removeprefix("\ufeff")  # a byte order mark, as some editors write
        text = text.replace("\r\n", "\n").removesuffix("\n")  # instaloader appends "\n"
        return unicodedata.normalize("NFC", text)

    # ------------------------------------------------------------------ profile
    def _parse_profile(self, names: list[str]) -> dict[str, Any]:
        nodes: list[dict[str, Any]] = []
        for name in names:
            data, reason = _read_json(self.folder / name, self.tally.warnings)
            node = _get(data, "node")
            if reason is None and not isinstance(node, dict):
                reason = "missing_keys"
            if reason is None and _get(data, "instaloader", "node_type") not in (None, "Profile"):
                reason = "not_a_profile"
            if reason is None:
                self.tally.mark(name, "parsed")
                nodes.append(node)
            else:
                self.tally.mark(name, "skipped", reason)
        own = [node for node in nodes if node.get("username") == self.name]
        return _profile_row(self.name, (own or nodes or [{}])[0])

    # ------------------------------------------------------------------ follows
    def _parse_follows(self, names: list[str]) -> tuple[set[tuple[str, str]], set[str]]:
        """The edges of the profile's follow lists, and which lists (``followers``,
        ``followees``) were read: a list that is missing or unreadable is not known, which is
        not the same as empty. So is a list none of whose entries names anybody (objects or
        numbers, a list written by another tool: skipped ``invalid_follow_list``)."""
        follows: set[tuple[str, str]] = set()
        known: set[str] = set()
        for name in names:
            data, reason = _read_json(self.folder / name, self.tally.warnings)
            if reason is None and not isinstance(data, list):
                reason = "invalid_json"
            elif reason is None and data and not any(map(follow_username, data)):
                reason = "invalid_follow_list"
            if reason is not None:
                self.tally.mark(name, "skipped", reason)
                continue
            self.tally.mark(name, "parsed")
            known.add(FOLLOW_FILES[name])
            for entry in data:
                username = self._follow_name(entry)
                if username is None:
                    continue
                if FOLLOW_FILES[name] == "followers":
                    follows.add((username, self.name))
                else:
                    follows.add((self.name, username))
        return follows, known

    def _follow_name(self, entry: Any) -> str | None:
        """The username a follow list's ``entry`` names (:func:`follow_username`), or None for
        an entry that names nobody (``invalid_follow_entry``) or the profile itself
        (``self_follow``); an entry written otherwise than Instagram writes the name (a leading
        ``@``, capitals, spaces) counts as ``follow_entry_normalized``. All are warnings."""
        username = follow_username(entry)
        if username is None:
            self.tally.warnings["invalid_follow_entry"] += 1
        elif username == follow_username(self.name):
            self.tally.warnings["self_follow"] += 1
            return None
        elif username != entry:
            self.tally.warnings["follow_entry_normalized"] += 1
        return username


# ---------------------------------------------------------------------- helpers
def follow_username(entry: Any) -> str | None:
    """The Instagram username a follow list's ``entry`` names, as Instagram and instaloader
    write it (lower case, without a leading ``@`` or surrounding spaces: usernames are not
    case-sensitive), or None when ``entry`` is not a string or names nobody."""
    if not isinstance(entry, str):
        return None
    username = entry.strip().removeprefix("@").strip().lower()
    return username or None


def _is_special(entry: os.DirEntry) -> bool:
    """Whether `entry` (or what it links to) is neither a file nor a folder: a named pipe,
    a socket or a device, which reading could block on forever. False when it cannot be
    followed (a broken link is read, and counted, as an unreadable file)."""
    try:
        mode = entry.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _is_dir(entry: os.DirEntry) -> bool:
    """Whether `entry` is a folder (or a link to one); False for a link that cannot be
    followed, e.g. one that points to itself (where `entry.is_dir()` raises)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _read_json(path: Path, warnings: Counter[str]) -> tuple[Any, str | None]:
    """The decoded JSON of `path` (xz-compressed when named .xz), or None and a reason.

    JSON that Python refuses to read (an integer over its 4300-digit limit, nesting deeper
    than the recursion limit) is ``invalid_json`` too. Half of a UTF-16 surrogate pair
    escaped alone (``"\\ud83d"``, text cut inside an emoji) becomes U+FFFD, as an invalid
    UTF-8 byte of a caption does, and is counted in ``warnings`` as
    ``lone_surrogate_in_json`` (no UTF-8 file, Parquet included, can hold it)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None, "unreadable_file"
    if path.name.endswith(".xz"):
        decompressor = lzma.LZMADecompressor()
        try:
            raw = decompressor.decompress(raw)
        except lzma.LZMAError:
            return None, "invalid_json"
        if not decompressor.eof:
            return None, "truncated_json"
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
        if _SURROGATE_ESCAPE.search(text):
            data, replaced = _without_lone_surrogates(data)
            if replaced:  # an emoji's whole pair escaped is no problem: no warning of 0
                warnings["lone_surrogate_in_json"] += replaced
        return data, None
    except json.JSONDecodeError as error:
        ends_early = error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated")
        return None, "truncated_json" if ends_early else "invalid_json"
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None, "invalid_json"


def _without_lone_surrogates(value: Any) -> tuple[Any, int]:
    """``value`` (decoded JSON) with every surrogate code point of its strings, keys included,
    replaced by U+FFFD, and how many strings had one. A string decoded from JSON holds only
    lone ones: the JSON decoder joins an escaped pair into one character."""
    if isinstance(value, str):
        fixed, count = _SURROGATE.subn("\ufffd", value)
        return fixed, int(count > 0)
    if isinstance(value, list):
        items = [_without_lone_surrogates(item) for item in value]
        return [item for item, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        pairs = [
            (_without_lone_surrogates(k), _without_lone_surrogates(v)) for k, v in value.items()
        ]
        return {k: v for (k, _), (v, _) in pairs}, sum(a + b for (_, a), (_, b) in pairs)
    return value, 0


def _image_problem(path: Path) -> str | None:
    """None when PIL decodes the whole image (JPEGs at 1/8 size, which is fast), else why not:
    ``image_too_large`` above PIL's decompression-bomb limit, ``unsupported_image_format``
    for an image the image features cannot decode (a TIFF named .jpg, an animated WebP: see
    ``insta_kedro.vision.decoding.decodes``), ``corrupt_image`` otherwise."""
    try:
        with Image.open(path) as image:
            if not decodes(image):
                return "unsupported_image_format"
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
        return None
    except Image.DecompressionBombError:
        return "image_too_large"
    except Exception:  # PIL raises OSError, SyntaxError, ValueError…
        return "corrupt_image"


def _is_mp4(path: Path) -> bool:
    """Whether `path` starts like an MP4 file (an `ftyp` box); videos are not decoded."""
    try:
        with path.open("rb") as file:
            return file.read(12)[4:8] == b"ftyp"
    except OSError:
        return False


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _count(value: Any) -> int | None:
    """A non-negative whole count that fits the Int64 columns, or None when absent or not
    such a count (negative, fractional, infinite, NaN, 2**63 or more)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 <= value <= INT64_MAX or value != int(value):
        return None
    return int(value)


def _json_caption(node: dict[str, Any]) -> str | None:
    edges = _get(node, "edge_media_to_caption", "edges")
    if isinstance(edges, list) and edges:
        text = _get(edges[0], "node", "text")
        if isinstance(text, str):
            return unicodedata.normalize("NFC", text)
    caption = node.get("caption")
    if isinstance(caption, str):
        return unicodedata.normalize("NFC", caption)
    return None


def _comment_count(node: dict[str, Any]) -> int | None:
    for keys in (
        ("edge_media_to_comment", "count"),
        ("edge_media_to_parent_comment", "count"),
        ("comments",),
    ):
        count = _count(_get(node, *keys))
        if count is not None:
            return count
    return None


def _taken_at(group: _PostFiles) -> pd.Timestamp | None:
    """When the post was taken: the JSON's `taken_at_timestamp` or `date` (seconds), else the
    date of the file name; a time pandas cannot hold (outside the years 1677-2262) is passed
    over. None when there is no valid time (e.g. a file named `2021-02-30_…_UTC`)."""
    node = group.node or {}
    for key in ("taken_at_timestamp", "date"):
        seconds = _count(node.get(key))
        if seconds is not None:
            try:
                return pd.Timestamp(seconds, unit="s", tz="UTC").as_unit("ns")
            except (ValueError, OverflowError):
                continue
    try:
        taken = datetime.strptime(group.date, "%Y-%m-%d_%H-%M-%S").replace(tzinfo=UTC)
        return pd.Timestamp(taken).as_unit("ns")
    except (ValueError, OverflowError):
        return None


def _typename(value: Any, group: _PostFiles) -> str:
    """GraphImage / GraphVideo / GraphSidecar from the JSON (`XDTGraph…` too), else from the
    media files found."""
    if isinstance(value, str):
        for typename in TYPENAMES:
            if value.endswith(typename.removeprefix("Graph")):
                return typename
    indexes = {index for index, _ in group.images + group.videos}
    if len(indexes) > 1 or any(index > 0 for index in indexes):
        return "GraphSidecar"
    return "GraphVideo" if group.videos else "GraphImage"


def _n_media(node: dict[str, Any], typename: str, group: _PostFiles) -> int:
    """Carousel children in the JSON, 1 for a single image/video post described by the JSON,
    else the number of media items found on disk (an _N.jpg and _N.mp4 are one item)."""
    children = _get(node, "edge_sidecar_to_children", "edges")
    if isinstance(children, list) and children:
        return len(children)
    if "__typename" in node and typename != "GraphSidecar":
        return 1
    return len({index for index, _ in group.images + group.videos})


def _accessibility_caption(node: dict[str, Any]) -> str | None:
    caption = node.get("accessibility_caption")
    if isinstance(caption, str) and caption:
        return caption
    children = _get(node, "edge_sidecar_to_children", "edges")
    if isinstance(children, list) and children:
        caption = _get(children[0], "node", "accessibility_caption")
        if isinstance(caption, str) and caption:
            return caption
    return None


def _profile_row(name: str, node: dict[str, Any]) -> dict[str, Any]:
    iphone = node.get("iphone_struct") if isinstance(node.get("iphone_struct"), dict) else {}
    followers = _count(_get(node, "edge_followed_by", "count"))
    followees = _count(_get(node, "edge_follow", "count"))
    category = next(
        (
            value
            for value in (  # the most specific first: "Musician/Band" over "Creators & ..."
                node.get("category_name"),
                node.get("category_enum"),
                node.get("overall_category_name"),
                node.get("business_category_name"),
                iphone.get("category"),
            )
            if isinstance(value, str) and value
        ),
        None,
    )
    return {
        "profile": name,
        "user_id": _str_or_none(node.get("id")) or _str_or_none(iphone.get("pk")),
        "full_name": _text(node.get("full_name")),
        "biography": _text(node.get("biography", iphone.get("biography"))),
        "followers": followers if followers is not None else _count(iphone.get("follower_count")),
        "followees": followees if followees is not None else _count(iphone.get("following_count")),
        "is_verified": node.get("is_verified", iphone.get("is_verified")) is True,
        "is_business": node.get("is_business_account", iphone.get("is_business")) is True,
        "category": category,
        "is_private": _bool_or_none(node.get("is_private", iphone.get("is_private"))),
    }


def _bool_or_none(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else None


def _frame(rows: list[dict[str, Any]], columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns).astype(dtypes)


def _posts_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = _frame(rows, POST_COLUMNS, POST_DTYPES)
    return frame.sort_values(["profile", "taken_at", "post_id"], ignore_index=True)


def _follows_frame(follows: set[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(sorted(follows), columns=FOLLOW_COLUMNS, dtype="object")


def _sum_reports(reports: dict[str, dict[str, Any]], n_profiles: int) -> dict[str, Any]:
    totals: dict[str, Any] = {
        "profiles": n_profiles,
        "profiles_without_posts": sum(
            report["posts_parsed"] == 0 for name, report in reports.items() if name != ROOT_KEY
        ),
    }
    for key in ("files_seen", "files_parsed", "posts_parsed", "posts_with_caption"):
        totals[key] = sum(report[key] for report in reports.values())
    for key in ("skipped", "ignored_files", "warnings"):
        summed: Counter[str] = Counter()
        for report in reports.values():
            summed.update(report[key])
        totals[key] = dict(sorted(summed.items()))
    named: dict[str, list[str]] = {}
    for name, report in reports.items():
        folder = "" if name == ROOT_KEY else f"{name}/"
        for reason, files in report["skipped_files"].items():
            named.setdefault(reason, []).extend(folder + file for file in files)
    totals["skipped_files"] = dict(sorted(named.items()))
    return totals


def _log_profile(name: str, report: dict[str, Any]) -> None:
    logger.info(
        "Profile %s: %d files (%d parsed), %d posts (%d with caption), skipped %s, "
        "ignored %s, warnings %s",
        name,
        report["files_seen"],
        report["files_parsed"],
        report["posts_parsed"],
        report["posts_with_caption"],
        report["skipped"] or "{}",
        report["ignored_files"] or "{}",
        report["warnings"] or "{}",
    )
    for reason, files in report["skipped_files"].items():
        named = ", ".join(files[:LOGGED_FILES])
        more = f" and {len(files) - LOGGED_FILES} more" if len(files) > LOGGED_FILES else ""
        logger.warning(
            "Profile %s: %d skipped (%s): %s%s (all in the report's skipped_files)",
            name,
            len(files),
            reason,
            named,
            more,
        )
