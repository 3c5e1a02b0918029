"""Live download of Instagram profiles with instaloader, in instaloader's own on-disk layout.

Every profile lands in ``<target>/<username>/`` exactly as the ``instaloader`` command writes
it (``{date_utc}_UTC`` file names, compressed metadata JSON, captions, images, videos, the
profile JSON, ``id`` and ``iterator_*.json.xz`` resume files), so the project's one parser
reads live downloads, demo downloads and existing folders alike.

A run is resumable: an interrupted profile leaves instaloader's iterator file behind and the
next run continues from it; posts already on disk are never fetched again (instaloader's
``download_post`` skips existing media files). Per-profile failures are recorded in the
returned report and the other profiles go on.

Example::

    report = download_profiles(["natgeo"], Path("data/01_raw/instagram"),
                               max_posts_per_profile=50)
    report["natgeo"]  # {"status": "ok", "new_posts": 50, "existing_posts": 0, ...}
"""

import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import instaloader
from instaloader import (
    AbortDownloadException,
    ConnectionException,
    InstaloaderException,
    LoginRequiredException,
    PrivateProfileNotFollowedException,
    ProfileNotExistsException,
    QueryReturnedForbiddenException,
    QueryReturnedNotFoundException,
    TooManyRequestsException,
)
from tqdm import tqdm

logger = logging.getLogger(__name__)

STATUSES = ("ok", "private", "not_found", "login_required", "rate_limited", "error")
POSSIBLY_PINNED_POSTS = 3
MAX_MESSAGE_CHARS = 400
_USERNAME = re.compile(r"^[a-z0-9._]{1,30}$")
_HTTP_429 = re.compile(r"^429\b")

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class InstagramLogin:
    """An Instagram login, from the ``instagram`` entry of ``conf/local/credentials.yml``.

    A session file (``instaloader --login NAME`` writes one) is preferred over a password.
    The password is left out of the repr and never logged.

    Example of ``conf/local/credentials.yml``::

        instagram:
          username: my_account
          session_file: ~/.config/instaloader/session-my_account
          # password: ...   # only when there is no session file
    """

    username: str
    session_file: str | None = None
    password: str | None = field(default=None, repr=False)


class _InjectedSleepRateController(instaloader.RateController):
    """Instaloader's default rate controller, waiting with an injectable ``sleep``."""

    def __init__(self, context: instaloader.InstaloaderContext, sleep: Sleep):
        super().__init__(context)
        self._sleep = sleep

    def sleep(self, secs: float) -> None:
        self._sleep(secs)


def make_loader(
    target: Path, *, sleep: Sleep = time.sleep, pause_between_requests: bool = True
) -> instaloader.Instaloader:
    """An Instaloader writing ``target/<username>/`` in instaloader's default layout.

    ``sleep`` is what the rate controller waits with (tests pass a recorder);
    ``pause_between_requests`` keeps instaloader's short random pause before each request.
    """
    loader = instaloader.Instaloader(
        sleep=pause_between_requests,
        quiet=True,
        dirname_pattern=str(Path(target) / "{target}"),
        download_videos=True,
        download_video_thumbnails=True,
        download_geotags=False,
        download_comments=False,
        save_metadata=True,
        compress_json=True,
        rate_controller=lambda context: _InjectedSleepRateController(context, sleep),
    )
    # Let errors reach this module, which records them, instead of instaloader printing
    # and swallowing them (e.g. a failed video thumbnail would otherwise look downloaded).
    loader.context.raise_all_errors = True
    return loader


@dataclass
class _Progress:
    """What a profile's download has achieved so far, kept across retries."""

    username: str
    profile_saved: bool = False
    posts_done: bool = False
    new_posts: int = 0
    existing_posts: int = 0
    failed_posts: Counter = field(default_factory=Counter)
    follows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def download_profiles(
    profiles: list[str],
    target: Path,
    *,
    max_posts_per_profile: int | None,
    login: InstagramLogin | None = None,
    download_follows: bool = False,
    max_attempts: int = 3,
    loader: instaloader.Instaloader | None = None,
    fast_update: bool = False,
    max_follows: int | None = None,
    sleep: Sleep = time.sleep,
    backoff_s: float = 60.0,
) -> dict[str, dict[str, Any]]:
    """Download the newest posts of each profile into ``target/<username>/``.

    Returns ``{username: {"status", "new_posts", "existing_posts", "failed_posts",
    "message"}}`` with status one of :data:`STATUSES`. A profile answered with HTTP 429 is
    retried ``max_attempts`` times in all, waiting ``backoff_s * 2**(attempt - 1)`` seconds
    with ``sleep`` in between; any other failure is recorded at once. ``fast_update`` stops
    a profile at its first already-downloaded post (after the possibly pinned ones), as
    ``instaloader --fast-update`` does; otherwise the walk goes on to
    ``max_posts_per_profile``, skipping what is on disk. ``download_follows`` (needs a
    login) writes ``followers.json`` and ``followees.json`` (at most ``max_follows`` each).
    """
    if not profiles:
        return {}
    target = Path(target)
    own_loader = loader is None
    if loader is None:
        loader = make_loader(target, sleep=sleep)
    elif loader.dirname_pattern != str(target / "{target}"):
        raise ValueError(f"loader must write into {target / '{target}'}: use make_loader(target)")
    target.mkdir(parents=True, exist_ok=True)

    login_note = _log_in(loader, login) if login is not None else None
    if download_follows and not loader.context.is_logged_in:
        logger.warning("Instagram follow lists need a login: skipping followers/followees")

    report: dict[str, dict[str, Any]] = {}
    aborted: str | None = None
    try:
        for requested in profiles:
            username = str(requested).strip().lstrip("@").lower()
            if username in report:
                continue
            if aborted is not None:
                report[username] = _outcome(
                    "error", _Progress(username), f"not attempted: {aborted}"
                )
                continue
            if not _USERNAME.match(username):
                report[username] = _outcome(
                    "error", _Progress(username), f"not an Instagram username: {requested!r}"
                )
                continue
            progress = _Progress(username)
            if login_note:
                progress.notes.append(login_note)
            try:
                status, detail = _download_with_retries(
                    loader,
                    progress,
                    max_posts=max_posts_per_profile,
                    fast_update=fast_update,
                    download_follows=download_follows,
                    max_follows=max_follows,
                    max_attempts=max_attempts,
                    sleep=sleep,
                    backoff_s=backoff_s,
                )
            except AbortDownloadException as err:
                aborted = f"download aborted at {username}: {_describe(err, login)}"
                status, detail = "error", aborted
            outcome = _outcome(status, progress, _redact(detail, login))
            report[username] = outcome
            logger.log(
                logging.INFO if status == "ok" else logging.WARNING,
                "Instagram profile %s: %s (%d new, %d existing, %d failed posts) %s",
                username,
                status,
                outcome["new_posts"],
                outcome["existing_posts"],
                outcome["failed_posts"],
                outcome["message"],
            )
    finally:
        if own_loader:
            loader.close()
    return report


def _log_in(loader: instaloader.Instaloader, login: InstagramLogin) -> str | None:
    """Log the loader in; on failure return a note (never containing the secrets)."""
    try:
        if login.session_file:
            loader.load_session_from_file(login.username, os.path.expanduser(login.session_file))
        elif login.password:
            loader.login(login.username, login.password)
        else:
            return "login skipped: neither session_file nor password given"
    except Exception as err:  # a failed login must not stop an anonymous download
        note = f"login failed, downloading anonymously: {_describe(err, login)}"
        logger.warning("Instagram %s", note)
        return note
    logger.info("Logged in to Instagram as %s", login.username)
    return None


def _download_with_retries(
    loader: instaloader.Instaloader,
    progress: _Progress,
    *,
    max_posts: int | None,
    fast_update: bool,
    download_follows: bool,
    max_follows: int | None,
    max_attempts: int,
    sleep: Sleep,
    backoff_s: float,
) -> tuple[str, str]:
    """Download one profile, retrying after 429s; return its status and a message."""
    attempts = max(1, max_attempts)
    for attempt in range(1, attempts + 1):
        try:
            _download_profile(
                loader,
                progress,
                max_posts=max_posts,
                fast_update=fast_update,
                download_follows=download_follows,
                max_follows=max_follows,
            )
            return "ok", ""
        except AbortDownloadException:
            raise
        except Exception as err:  # recorded per profile; the other profiles go on
            status = _failure_status(err)
            if status == "rate_limited" and attempt < attempts:
                wait_s = backoff_s * 2 ** (attempt - 1)
                logger.warning(
                    "Instagram rate limit on %s (attempt %d/%d): retrying in %.0f s",
                    progress.username,
                    attempt,
                    attempts,
                    wait_s,
                )
                sleep(wait_s)
                continue
            detail = _describe(err)
            if status == "rate_limited":
                detail = f"still rate limited after {attempts} attempts: {detail}"
            return status, detail
    raise AssertionError("unreachable: the retry loop always returns")


def _download_profile(
    loader: instaloader.Instaloader,
    progress: _Progress,
    *,
    max_posts: int | None,
    fast_update: bool,
    download_follows: bool,
    max_follows: int | None,
) -> None:
    """One attempt at a profile; skips the stages that an earlier attempt finished."""
    profile = loader.check_profile_id(progress.username)
    username = profile.username
    if username != progress.username:
        progress.notes.append(f"profile renamed to {username}")
    profile_dir = Path(loader.dirname_pattern.format(target=username, profile=username))

    if not progress.profile_saved:
        _ = profile.followers  # completes the profile metadata before it is saved
        try:
            loader.download_profilepic(profile)
        except (InstaloaderException, OSError) as err:
            if _failure_status(err) == "rate_limited":
                raise
            progress.notes.append(f"profile picture not downloaded: {_describe(err)}")
        loader.save_metadata_json(str(profile_dir / f"{username}_{profile.userid}"), profile)
        progress.profile_saved = True

    if profile.is_private and username != (loader.context.username or "").lower():
        if not loader.context.is_logged_in:
            raise PrivateProfileNotFollowedException(
                f"Profile {username} is private: log in with an account that follows it"
            )
        if not profile.followed_by_viewer:
            raise PrivateProfileNotFollowedException(f"Profile {username} is private, not followed")

    if not progress.posts_done:
        _download_posts(
            loader, profile, profile_dir, progress, max_posts=max_posts, fast_update=fast_update
        )
        progress.posts_done = True

    if download_follows:
        if not loader.context.is_logged_in:
            if "follows skipped: not logged in" not in progress.notes:
                progress.notes.append("follows skipped: not logged in")
            return
        for name, get_profiles in (
            ("followers", profile.get_followers),
            ("followees", profile.get_followees),
        ):
            if name not in progress.follows:
                usernames = [p.username for p in islice(get_profiles(), max_follows)]
                _write_json_atomically(profile_dir / f"{name}.json", usernames)
                progress.follows[name] = len(usernames)


def _download_posts(
    loader: instaloader.Instaloader,
    profile: instaloader.Profile,
    profile_dir: Path,
    progress: _Progress,
    *,
    max_posts: int | None,
    fast_update: bool,
) -> None:
    """Walk the profile's posts newest first, resuming from instaloader's iterator file."""
    username = profile.username
    posts = profile.get_posts()
    with instaloader.resumable_iteration(
        context=loader.context,
        iterator=posts,
        load=instaloader.load_structure_from_file,
        save=instaloader.save_structure_to_file,
        format_path=lambda magic: loader.format_filename_within_target_path(
            username, profile, loader.resume_prefix or "iterator", magic, "json.xz"
        ),
        check_bbd=loader.check_resume_bbd,
    ) as (is_resuming, start_index):
        if is_resuming:
            progress.notes.append(f"resumed after {start_index} posts")
        number = start_index
        if max_posts is not None and number >= max_posts:
            return
        total = _post_count(profile)
        if max_posts is not None and total is not None:
            total = min(total, max_posts)
        # A live count in a terminal (None: off where output is no terminal); the profile's
        # outcome is logged and reported when it ends.
        with tqdm(
            total=total, initial=start_index, desc=username, unit="post", disable=None
        ) as bar:
            for post in posts:
                number += 1
                bar.update()
                metadata_file = profile_dir / (
                    loader.format_filename(post, target=username) + ".json.xz"
                )
                already_downloaded = (
                    metadata_file.is_file()
                )  # written last, so the post is complete
                try:
                    loader.download_post(post, target=username)
                except Exception as err:
                    if not _is_post_failure(err):
                        raise  # the iterator file is saved; the next attempt resumes here
                    progress.failed_posts[type(err).__name__] += 1
                    logger.warning("Instagram post %s of %s failed: %s", post, username, err)
                else:
                    if already_downloaded:
                        progress.existing_posts += 1
                    else:
                        progress.new_posts += 1
                    if (
                        fast_update
                        and already_downloaded
                        and not is_resuming
                        and number > POSSIBLY_PINNED_POSTS
                    ):
                        return
                if max_posts is not None and number >= max_posts:
                    return


def _post_count(profile: instaloader.Profile) -> int | None:
    """The number of posts the profile reports, or None when its metadata lacks it."""
    try:
        return int(profile.mediacount)
    except (KeyError, TypeError, ValueError, instaloader.exceptions.InstaloaderException):
        return None


def _exception_chain(err: BaseException) -> list[BaseException]:
    """The exception and its causes (instaloader re-raises with ``from`` or ``from None``)."""
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _is_rate_limited(err: BaseException) -> bool:
    return any(
        isinstance(e, TooManyRequestsException)
        or (isinstance(e, ConnectionException) and _HTTP_429.match(str(e)))
        for e in _exception_chain(err)
    )


def _failure_status(err: BaseException) -> str:
    """The report status of a profile that failed with ``err``."""
    if _is_rate_limited(err):
        return "rate_limited"
    if isinstance(err, ProfileNotExistsException):
        return "not_found"
    if isinstance(err, PrivateProfileNotFollowedException):
        return "private"
    if isinstance(err, LoginRequiredException):
        return "login_required"
    return "error"


def _is_post_failure(err: BaseException) -> bool:
    """Whether ``err`` concerns only this post (gone, forbidden media, odd JSON).

    Rate limits, login demands and network failures are the profile's: they stop it so
    that the next attempt resumes at this very post.
    """
    if _is_rate_limited(err) or isinstance(err, LoginRequiredException | AbortDownloadException):
        return False
    definitive = (QueryReturnedNotFoundException, QueryReturnedForbiddenException)
    if any(isinstance(e, definitive) for e in _exception_chain(err)):
        return True
    if isinstance(err, ConnectionException | OSError):
        return False
    return isinstance(err, InstaloaderException | KeyError | TypeError | ValueError)


def _describe(err: BaseException, login: InstagramLogin | None = None) -> str:
    text = f"{type(err).__name__}: {err}".replace("\n", " ").strip()
    return _redact(text, login)[:MAX_MESSAGE_CHARS]


def _redact(text: str, login: InstagramLogin | None) -> str:
    """``text`` without the password, should anything have echoed it."""
    if login is not None and login.password:
        text = text.replace(login.password, "***")
    return text


def _outcome(status: str, progress: _Progress, detail: str) -> dict[str, Any]:
    parts = [detail] if detail else []
    parts += progress.notes
    if progress.failed_posts:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(progress.failed_posts.items()))
        parts.append(f"{progress.failed_posts.total()} posts failed ({reasons})")
    parts += [f"{name}: {n}" for name, n in progress.follows.items()]
    return {
        "status": status,
        "new_posts": progress.new_posts,
        "existing_posts": progress.existing_posts,
        "failed_posts": progress.failed_posts.total(),
        "message": "; ".join(parts),
    }


def _write_json_atomically(path: Path, usernames: list[str]) -> None:
    temporary = path.with_name(path.name + ".temp")
    temporary.write_text(json.dumps(usernames, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)
