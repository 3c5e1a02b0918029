"""Live download of Instagram profiles with instaloader, in instaloader's own on-disk layout.

Every profile lands in ``<target>/<username>/`` exactly as the ``instaloader`` command writes
it (``{date_utc}_UTC`` file names, compressed metadata JSON, captions, images, videos, the
profile JSON, ``id`` and ``iterator_*.json.xz`` resume files), so the project's one parser
reads live downloads, demo downloads and existing folders alike.

A run is resumable: instaloader's iterator file is written after every post (instaloader
itself writes it only when an exception ends the walk, so a killed run would leave none), and
the next run continues from it; posts already on disk are never fetched again (instaloader's
``download_post`` skips existing media files). Per-profile failures are recorded in the
returned report and the other profiles go on.

When Instagram pushes back, the download behaves as follows (instaloader 4.16 surfaces each
case as shown):

- **"Wait" answers** (HTTP 429, or 401/403 such as "Please wait a few minutes before you
  try again", which instaloader raises as a plain ``ConnectionException`` after its own
  short retries): the profile is tried again after an exponential back-off with jitter
  (:class:`Backoff`); instaloader's own waits after a 429 count in the same budget. Once the
  back-off budget of the download is spent, the profile is ``rate_limited`` and the
  profiles after it are ``not_attempted``; the next run resumes.
- **An account action** (``feedback_required``, ``checkpoint_required``,
  ``challenge_required``, a redirect to the login page: instaloader's
  ``AbortDownloadException``): the whole download stops at once, the profile is
  ``aborted`` with the action Instagram asks for, the iterator file is kept for resuming,
  and the other profiles are ``not_attempted``.
- **A post Instagram does not give** ("Fetching Post metadata failed", a refused image, or,
  logged out, metadata under another shortcode: ``PostChangedException``, instaloader#225):
  counted in ``failed_posts`` and the walk goes on; the walk's update stamp stays below the
  post (no newer than the first dated post after it), so the next update tries it again
  without walking the whole profile. After :data:`MAX_FAILED_POSTS_IN_A_ROW` failures in
  a row the profile stops as ``error`` and the next one goes on.
- **A photo or video without an address** (a video removed from a post that is still
  there, instaloader#2161; a post or carousel item without an image): the post is saved
  without it and counted in ``posts_missing_media``.
- **Follow lists that come back empty** (or refused) while the profile reports followers:
  ``follows_unavailable``, never zero followers; no list file is written.
- **A follow list stopped by a 429** (the back-off budget spent partway): the accounts
  fetched so far are kept in ``followers.json.part`` and instaloader's iterator file, the
  list is ``partial`` in the report, and the next attempt (a retry, or the next run) goes on
  from there; ``followers.json`` is replaced only by a complete list. A complete list
  younger than ``follows_max_age_days`` is kept, not asked for again (a list of 6,000 took
  22 minutes of instaloader's rate control).
- **Updates** (``update="new_posts"``) fetch only posts newer than the newest one already
  downloaded, read from instaloader's ``LatestStamps`` file beside the download, which only
  a finished walk writes; it does not depend on instaloader's version (unlike its resume
  files, which an upgrade invalidates). A profile without a stamp (a first download that
  was stopped, or one made by the ``instaloader`` command) is walked in full once. The first
  :data:`POSSIBLY_PINNED_POSTS` older posts are passed over when on disk, since pinned
  posts come first; so are they by ``max_posts_per_profile``, which keeps the newest posts.

Example::

    report = download_profiles(["natgeo"], Path("data/01_raw/instagram"),
                               max_posts_per_profile=50)
    report["natgeo"]  # {"status": "ok", "new_posts": 50, "existing_posts": 0, ...}
"""

import bisect
import json
import logging
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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

from insta_kedro.ingestion.params import Update

logger = logging.getLogger(__name__)

STATUSES = (
    "ok",
    "private",
    "not_found",
    "login_required",
    "rate_limited",
    "aborted",
    "not_attempted",
    "error",
)
POSSIBLY_PINNED_POSTS = 3
# Posts failing one after the other: Instagram refuses them all (instaloader#2716), and asking
# for the rest of the profile would only add refused requests.
MAX_FAILED_POSTS_IN_A_ROW = 10
MAX_MESSAGE_CHARS = 400
LATEST_STAMPS_FILE = "latest-stamps.ini"
FOLLOW_LISTS = ("followers", "followees")
EPOCH = datetime.fromtimestamp(0, UTC)
_USERNAME = re.compile(r"^[a-z0-9._]{1,30}$")
_PUSH_BACK = re.compile(r"^(401|403|429)\b")
# What Instagram asks of the account when instaloader aborts, by the answer's wording.
ACCOUNT_ACTIONS = {
    "checkpoint_required": "log in to Instagram in a browser or the app with this account and "
    "complete the security check it shows",
    "challenge_required": "log in to Instagram in a browser or the app with this account and "
    "answer the challenge it shows",
    "feedback_required": "Instagram has restricted this account's actions: pause downloads "
    "for a day or more",
    "login_page": "the session was logged out: create a new session file "
    "(instaloader --login YOUR_NAME)",
}

# What a failed profile's message adds, by status: how to act here (instaloader's own message
# names its command's options).
STATUS_HINTS = {
    "login_required": "to log in here, set instagram.username and instagram.session_file (a "
    "file made by instaloader --login YOUR_NAME) in conf/local/credentials.yml",
}

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Backoff:
    """How long to wait when Instagram answers "wait": ``first_wait_s`` before the second
    attempt, times ``factor`` before each later one, at most ``max_wait_s``; each wait is
    drawn between half and all of that ("equal jitter"), so that many clients do not retry
    in step. ``budget_s`` bounds all waits of one download together, instaloader's after a 429
    included."""

    first_wait_s: float = 60.0
    factor: float = 2.0
    max_wait_s: float = 900.0
    budget_s: float = 3600.0

    def wait_s(self, retry: int, rng: random.Random) -> float:
        """The wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.max_wait_s, self.first_wait_s * self.factor ** (retry - 1))
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


@dataclass
class _Waits:
    """The back-off of one download: its settings and the seconds waited so far."""

    backoff: Backoff
    rng: random.Random
    sleep: Sleep
    waited_s: float = 0.0
    spent: bool = False

    def charge(self, seconds: float) -> bool:
        """Count a wait of ``seconds`` in the budget; False (not counted) when it would go past
        the budget, which is then spent."""
        if self.waited_s + seconds > self.backoff.budget_s:
            self.spent = True
            return False
        self.waited_s += seconds
        return True

    def wait(self, retry: int) -> float | None:
        """Wait before retry ``retry`` and return the seconds; None (no wait) when the wait
        would go past the budget, which is then spent."""
        seconds = self.backoff.wait_s(retry, self.rng)
        if not self.charge(seconds):
            return None
        self.sleep(seconds)
        return seconds


class BackoffSpent(Exception):
    """Instagram answered 429 again, and the wait of instaloader's rate controller before
    repeating the query would go past the download's back-off budget."""


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


class _RateController(instaloader.RateController):
    """Instaloader's default rate controller, waiting with an injectable ``sleep``. The waits
    it makes after a 429 answer count in the back-off budget ``waits`` (the download's, set
    by :func:`download_profiles`); one that would go past it raises :class:`BackoffSpent`
    instead of waiting."""

    def __init__(self, context: instaloader.InstaloaderContext, sleep: Sleep):
        super().__init__(context)
        self._sleep = sleep
        self.waits: _Waits | None = None
        self._after_429 = False

    def handle_429(self, query_type: str) -> None:
        """Wait as instaloader does before repeating a query that Instagram answered 429."""
        self._after_429 = True
        try:
            super().handle_429(query_type)
        finally:
            self._after_429 = False

    def sleep(self, secs: float) -> None:
        """Wait ``secs`` seconds, counted in ``waits`` after a 429 answer."""
        if self._after_429 and self.waits is not None and not self.waits.charge(secs):
            raise BackoffSpent(
                f"429 Too Many Requests, and instaloader's wait of {secs:.0f} s before asking "
                f"again would pass the back-off budget of {self.waits.backoff.budget_s:.0f} s"
            )
        self._sleep(secs)


class _Loader(instaloader.Instaloader):
    """Instaloader passing over a photo or video that Instagram gives no address for (a
    video removed from a post that is still there, instaloader#2161; a carousel item without
    an image), counted in ``missing_media``, instead of failing the whole post on it."""

    missing_media = 0
    rate_controller: _RateController

    def download_pic(
        self, filename: str, url: str | None, mtime: datetime, filename_suffix: str | None = None
    ) -> bool:
        """Download the file at ``url`` as instaloader does; without ``url``, count it in
        ``missing_media`` and return False (nothing downloaded)."""
        if not url:
            self.missing_media += 1
            return False
        return super().download_pic(filename, url, mtime, filename_suffix)


def make_loader(
    target: Path, *, sleep: Sleep = time.sleep, pause_between_requests: bool = True
) -> instaloader.Instaloader:
    """An Instaloader writing ``target/<username>/`` in instaloader's default layout, saving
    a post without the photos or videos Instagram gives no address for.

    ``sleep`` is what the rate controller waits with (tests pass a recorder);
    ``pause_between_requests`` keeps instaloader's short random pause before each request.
    """
    controllers: list[_RateController] = []

    def rate_controller(context: instaloader.InstaloaderContext) -> _RateController:
        controllers.append(_RateController(context, sleep))
        return controllers[-1]

    loader = _Loader(
        sleep=pause_between_requests,
        quiet=True,
        dirname_pattern=str(Path(target) / "{target}"),
        download_videos=True,
        download_video_thumbnails=True,
        download_geotags=False,
        download_comments=False,
        save_metadata=True,
        compress_json=True,
        rate_controller=rate_controller,
    )
    loader.rate_controller = controllers[-1]
    # Let errors reach this module, which records them, instead of instaloader printing
    # and swallowing them (e.g. a failed video thumbnail would otherwise look downloaded).
    loader.context.raise_all_errors = True
    return loader


class _LatestStamps(instaloader.LatestStamps):
    """instaloader's ``LatestStamps`` file, written to a temporary file and renamed, so that a
    run killed while writing it leaves every stamp, the previous ones or the new ones
    (instaloader rewrites the file in place). It also keeps, per profile and follow list
    (``followers``, ``followees``), when the list was last written complete and the
    ``max_follows`` it was fetched with (``followers-fetched``, ``followers-limit``)."""

    NO_LIMIT = "all"

    def _save(self) -> None:
        """Write every stamp to the file."""
        path = Path(self.file)
        temporary = path.with_name(path.name + ".temp")
        with temporary.open("w", encoding="utf-8") as stream:
            self.data.write(stream)
        os.replace(temporary, path)

    def get_follow_list(self, profile_name: str, name: str) -> tuple[datetime, int | None] | None:
        """When the follow list ``name`` of the profile was last written complete, and the
        ``max_follows`` it was fetched with (None: all); None when there is no such record."""
        if not self.data.has_option(profile_name, f"{name}-fetched"):
            return None
        fetched = self._get_timestamp(profile_name, f"{name}-fetched")
        limit = self.data.get(profile_name, f"{name}-limit", fallback=self.NO_LIMIT)
        try:
            return fetched, None if limit == self.NO_LIMIT else int(limit)
        except ValueError:
            return None

    def set_follow_list(
        self, profile_name: str, name: str, fetched: datetime, limit: int | None
    ) -> None:
        """Record that the follow list ``name`` of the profile was written complete at
        ``fetched``, fetched with ``max_follows`` ``limit`` (None: all)."""
        self._ensure_section(profile_name)
        self.data.set(profile_name, f"{name}-limit", str(limit or self.NO_LIMIT))
        self._set_timestamp(profile_name, f"{name}-fetched", fetched)

    def rename_profile(self, old_profile: str, new_profile: str) -> None:
        """Move the profile's stamps to its new name, its follow lists' records too."""
        self._ensure_section(new_profile)
        for list_name in FOLLOW_LISTS:
            for option in (f"{list_name}-fetched", f"{list_name}-limit"):
                if self.data.has_option(old_profile, option):
                    self.data.set(new_profile, option, self.data.get(old_profile, option))
        super().rename_profile(old_profile, new_profile)


@dataclass
class _StampLimit:
    """How new the update stamp of a walk with failed posts may be, so that the next update
    walks down to them again. Past the :data:`POSSIBLY_PINNED_POSTS` first posts, posts come
    newest first: the stamp is then kept no newer than the first dated post after a failed
    one, and older than a failed post whose date is known. A failed post among the first ones
    may be an old pinned post: an update tries it again wherever the stamp is (a possibly
    pinned post older than the stamp is passed over only when it is on disk)."""

    limit: datetime | None = None  # the stamp may be no newer than this
    open_failure: bool = False  # a failed post with no dated post after it yet

    def dated(self, number: int, taken: datetime) -> None:
        """Note that post ``number`` of the walk (1 the first) was taken at ``taken``."""
        if self.open_failure and number > POSSIBLY_PINNED_POSTS:
            self._lower(taken)
            self.open_failure = False

    def failed(self, number: int, taken: datetime | None) -> None:
        """Note that post ``number`` of the walk, taken at ``taken`` (None: unknown), failed."""
        if taken is not None and number > POSSIBLY_PINNED_POSTS:
            self._lower(taken - timedelta(microseconds=1))
        else:
            self.open_failure = True

    def _lower(self, limit: datetime) -> None:
        self.limit = limit if self.limit is None else min(self.limit, limit)


@dataclass
class _Progress:
    """What a profile's download has achieved so far, kept across retries."""

    username: str
    profile_saved: bool = False
    posts_done: bool = False
    new_posts: int = 0
    existing_posts: int = 0
    failed_posts: Counter = field(default_factory=Counter)
    failed_in_a_row: int = 0
    stamp_limit: _StampLimit = field(default_factory=_StampLimit)
    posts_missing_media: int = 0
    follows: dict[str, str] = field(default_factory=dict)
    partial_follows: dict[str, int] = field(default_factory=dict)  # accounts fetched so far
    notes: list[str] = field(default_factory=list)
    action: str | None = None
    renamed_to: str | None = None


class _ProfileFolders:
    """The profile folders of a download by the account id in their ``id`` file (instaloader
    writes it), read once, when first asked, and then kept as profiles are downloaded; so
    finding the folder of an account's earlier name is one look-up, not a read of every
    folder's ``id`` file."""

    def __init__(self, target: Path):
        self.target = target
        self._by_id: dict[int, set[str]] | None = None

    def record(self, userid: int, folder: Path) -> None:
        """Note ``folder`` as a folder of the account ``userid``."""
        if self._by_id is not None:
            self._by_id.setdefault(userid, set()).add(folder.name)

    def other_folder(self, userid: int, folder: Path) -> Path | None:
        """A folder other than ``folder`` whose ``id`` file holds ``userid`` now (the first by
        name), or None."""
        if self._by_id is None:
            self._by_id = {}
            for path in self.target.iterdir():
                stored = _stored_id(path)
                if stored is not None:
                    self._by_id.setdefault(stored, set()).add(path.name)
        for name in sorted(self._by_id.get(userid, ())):
            candidate = self.target / name
            if candidate != folder and _stored_id(candidate) == userid:
                return candidate
        return None


def _stored_id(folder: Path) -> int | None:
    """The account id in ``folder``'s ``id`` file, or None when it has none (or is no folder)."""
    try:
        return int((folder / "id").read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def download_profiles(
    profiles: list[str],
    target: Path,
    *,
    max_posts_per_profile: int | None,
    login: InstagramLogin | None = None,
    download_follows: bool = False,
    loader: instaloader.Instaloader | None = None,
    fast_update: bool = False,
    update: Update = "all",
    max_follows: int | None = None,
    follows_max_age_days: float | None = None,
    backoff: Backoff | None = None,
    sleep: Sleep = time.sleep,
    rng: random.Random | None = None,
) -> dict[str, dict[str, Any]]:
    """Download the newest posts of each profile into ``target/<username>/``.

    Returns ``{username: {"status", "new_posts", "existing_posts", "failed_posts",
    "message"}}`` with status one of :data:`STATUSES`; an ``aborted`` profile also has
    ``action`` (the account action Instagram asks for, e.g. ``checkpoint_required``), a
    profile listed by a name it no longer has ``renamed_to`` (its new name, where its folder
    now is), one with new posts saved without a photo or video that Instagram gave no address
    for ``posts_missing_media`` (their number), and with ``download_follows`` each profile has
    ``follows``: ``{"followers": state, "followees": state}``, the state ``known``,
    ``unavailable`` or ``partial`` (a "wait" answer stopped the list; the next run goes on
    from where it stopped). A profile listed by
    its new name takes over the folder of its earlier name (found by the account's ``id``).

    A "wait" answer from Instagram (429, or 401/403) is retried after ``backoff``'s waits,
    slept with ``sleep`` and jittered with ``rng``; once its budget is spent the profile is
    ``rate_limited`` and the later ones ``not_attempted``. An account action (instaloader's
    ``AbortDownloadException``) stops the download: that profile is ``aborted``, the later
    ones ``not_attempted``. Any other failure is recorded at once and the next profile goes
    on. ``update="new_posts"`` fetches only posts newer than the newest one on disk (see the
    module's docstring); ``fast_update`` stops a profile at its first already-downloaded
    post (after the possibly pinned ones), as ``instaloader --fast-update`` does; otherwise
    the walk goes on to ``max_posts_per_profile``, skipping what is on disk.
    ``download_follows`` (needs a login) writes ``followers.json`` and ``followees.json``
    (at most ``max_follows`` each); a list written complete less than
    ``follows_max_age_days`` ago (None: none) is kept instead of fetched again, unless a
    ``max_follows`` smaller than today's cut it.
    """
    if not profiles:
        return {}
    target = Path(target)
    own_loader = loader is None
    if loader is None:
        loader = make_loader(target, sleep=sleep)
    elif not isinstance(loader, _Loader) or loader.dirname_pattern != str(target / "{target}"):
        raise ValueError(f"loader must write into {target / '{target}'}: use make_loader(target)")
    target.mkdir(parents=True, exist_ok=True)
    waits = _Waits(backoff or Backoff(), rng or random.Random(), sleep)
    loader.rate_controller.waits = waits
    stamps = _LatestStamps(str(target / LATEST_STAMPS_FILE))
    folders = _ProfileFolders(target)

    login_note = _log_in(loader, login) if login is not None else None
    if download_follows and not loader.context.is_logged_in:
        logger.warning("Instagram follow lists need a login: skipping followers/followees")

    report: dict[str, dict[str, Any]] = {}
    stopped: str | None = None  # why the profiles still to come are not attempted
    try:
        for requested in profiles:
            username = str(requested).strip().lstrip("@").lower()
            if username in report:
                continue
            if stopped is not None:
                report[username] = _outcome("not_attempted", _Progress(username), stopped)
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
                    waits,
                    stamps,
                    folders,
                    max_posts=max_posts_per_profile,
                    fast_update=fast_update,
                    update=update,
                    download_follows=download_follows,
                    max_follows=max_follows,
                    follows_max_age_days=follows_max_age_days,
                )
            except AbortDownloadException as err:
                progress.action = _account_action(err)
                status = "aborted"
                detail = (
                    f"Instagram stopped the download ({progress.action}): "
                    f"{ACCOUNT_ACTIONS.get(progress.action, 'see the message')}, then run again "
                    f"to resume. {_describe(err, login)}"
                )
                stopped = f"the download stopped at {username} ({progress.action})"
            if status == "rate_limited" and waits.spent:
                stopped = (
                    f"Instagram still asked to wait after {waits.waited_s:.0f} s of back-off "
                    "(ingestion.backoff.budget_s): run again later to resume"
                )
            outcome = _outcome(status, progress, _redact(detail, login))
            if download_follows and loader.context.is_logged_in:
                outcome["follows"] = dict(progress.follows)
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
    waits: _Waits,
    stamps: _LatestStamps,
    folders: _ProfileFolders,
    *,
    max_posts: int | None,
    fast_update: bool,
    update: Update,
    download_follows: bool,
    max_follows: int | None,
    follows_max_age_days: float | None,
) -> tuple[str, str]:
    """Download one profile, retrying after "wait" answers while the back-off budget lasts;
    return its status and a message. ``AbortDownloadException`` is raised on."""
    retry = 0
    while True:
        try:
            _download_profile(
                loader,
                progress,
                stamps,
                folders,
                max_posts=max_posts,
                fast_update=fast_update,
                update=update,
                download_follows=download_follows,
                max_follows=max_follows,
                follows_max_age_days=follows_max_age_days,
            )
            return "ok", ""
        except AbortDownloadException:
            raise
        except Exception as err:  # recorded per profile; the other profiles go on
            status = _failure_status(err)
            if status != "rate_limited":
                hint = STATUS_HINTS.get(status)
                return status, _describe(err) + (f" ({hint})" if hint else "")
            retry += 1
            waited = None if waits.spent else waits.wait(retry)
            if waited is None:
                return "rate_limited", (
                    f"Instagram still asks to wait after {retry} attempts and "
                    f"{waits.waited_s:.0f} s of back-off: {_describe(err)}"
                )
            logger.warning(
                "Instagram asks to wait on %s (%s): retry %d in %.0f s",
                progress.username,
                _push_back_answer(err),
                retry,
                waited,
            )


def _download_profile(
    loader: instaloader.Instaloader,
    progress: _Progress,
    stamps: _LatestStamps,
    folders: _ProfileFolders,
    *,
    max_posts: int | None,
    fast_update: bool,
    update: Update,
    download_follows: bool,
    max_follows: int | None,
    follows_max_age_days: float | None,
) -> None:
    """One attempt at a profile; skips the stages that an earlier attempt finished. A
    profile that is new in ``folders`` takes over the folder of its earlier name there."""
    # instaloader finds a renamed profile by the ``id`` file of its folder, which it renames
    profile = loader.check_profile_id(progress.renamed_to or progress.username)
    username = profile.username
    if username != (progress.renamed_to or progress.username):
        progress.renamed_to = username
        progress.notes.append(
            f"profile renamed to {username} (its folder too): list {username} in ingestion.profiles"
        )
        stamps.rename_profile(progress.username, username)
    profile_dir = Path(loader.dirname_pattern.format(target=username, profile=username))
    earlier_name = _adopt_earlier_folder(profile_dir, profile.userid, folders)
    if earlier_name is not None:
        progress.notes.append(f"profile renamed from {earlier_name}: its download goes on here")
        stamps.rename_profile(earlier_name, username)

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
            loader,
            profile,
            profile_dir,
            progress,
            stamps,
            max_posts=max_posts,
            fast_update=fast_update,
            update=update,
        )
        progress.posts_done = True

    if download_follows:
        if not loader.context.is_logged_in:
            if "follows skipped: not logged in" not in progress.notes:
                progress.notes.append("follows skipped: not logged in")
            return
        for name, get_profiles, reported in (
            ("followers", profile.get_followers, lambda: profile.followers),
            ("followees", profile.get_followees, lambda: profile.followees),
        ):
            if progress.follows.get(name) not in (None, "partial"):
                continue
            kept = _kept_follow_list(
                stamps, profile_dir, username, name, max_follows, follows_max_age_days
            )
            if kept is not None:
                accounts, fetched = kept
                note = _follow_list_note(name, accounts, _reported_count(reported), max_follows)
                progress.notes.append(
                    f"{note}, kept from {fetched:%Y-%m-%d %H:%M} UTC "
                    "(ingestion.follows_max_age_days)"
                )
                progress.follows[name] = "known"
                continue
            progress.follows[name] = _download_follow_list(
                loader,
                profile,
                profile_dir,
                progress,
                name,
                get_profiles,
                reported,
                max_follows,
            )
            if progress.follows[name] == "known":
                stamps.set_follow_list(username, name, datetime.now(UTC), max_follows)


def _adopt_earlier_folder(profile_dir: Path, userid: int, folders: _ProfileFolders) -> str | None:
    """Move the download of the same account under an earlier name (another folder of
    ``folders`` whose ``id`` file holds ``userid``) to ``profile_dir``, when ``profile_dir``
    holds nothing but its ``id`` file yet; return the earlier name, or None when there is none
    to move. ``profile_dir`` is recorded in ``folders`` as the account's folder."""
    folders.record(userid, profile_dir)
    if any(path.name != "id" for path in profile_dir.iterdir()):
        return None
    earlier = folders.other_folder(userid, profile_dir)
    if earlier is None:
        return None
    (profile_dir / "id").unlink(missing_ok=True)
    profile_dir.rmdir()
    os.replace(earlier, profile_dir)
    return earlier.name


def _download_follow_list(
    loader: instaloader.Instaloader,
    profile: instaloader.Profile,
    profile_dir: Path,
    progress: _Progress,
    name: str,
    get_profiles: Callable[[], Any],
    reported: Callable[[], int],
    max_follows: int | None,
) -> str:
    """Write ``<name>.json`` (``followers`` or ``followees``: the first ``max_follows``
    accounts, None: all) and return ``known``, with a note of how many it holds (and of how
    many the profile reports, when ``max_follows`` cut the list); return ``unavailable``
    (writing nothing, with a note) when Instagram refuses the list or returns none while the
    profile reports some.

    The list is fetched resumably (:func:`_fetch_follow_list`): when a "wait" answer stops it,
    ``progress`` records it as ``partial`` and the error is raised; the next attempt, in this
    run or a later one, goes on where it stopped. ``<name>.json`` is replaced only once the
    list is complete, so an earlier complete list stays readable meanwhile."""
    try:
        usernames = _fetch_follow_list(
            loader, profile, profile_dir, name, get_profiles, max_follows
        )
    except Exception as err:
        fetched = _PartialFollowList(profile_dir, name).count()
        if _is_rate_limited(err) and fetched:
            progress.follows[name] = "partial"
            progress.partial_follows[name] = fetched
        if isinstance(err, LoginRequiredException) or not _is_follows_refusal(err):
            raise
        progress.notes.append(f"{name} unavailable (follows_unavailable): {_describe(err)}")
        return "unavailable"
    progress.partial_follows.pop(name, None)
    count = _reported_count(reported)
    if not usernames and count > 0:
        progress.notes.append(
            f"{name} unavailable (follows_unavailable): the profile reports {count} "
            "but Instagram returned none"
        )
        return "unavailable"
    _write_json_atomically(profile_dir / f"{name}.json", usernames)
    progress.notes.append(_follow_list_note(name, len(usernames), count, max_follows))
    return "known"


def _reported_count(reported: Callable[[], int]) -> int:
    """The number of accounts the profile reports in a follow list (0 when unknown)."""
    try:
        return int(reported())
    except (InstaloaderException, KeyError, TypeError, ValueError):
        return 0


def _follow_list_note(name: str, accounts: int, count: int, max_follows: int | None) -> str:
    """The report's note of a follow list of ``accounts`` accounts, with the ``count`` the
    profile reports when ``max_follows`` cut the list."""
    if max_follows is not None and accounts >= max_follows and count > accounts:
        return f"{name}: {accounts} of the {count} the profile reports (ingestion.max_follows)"
    return f"{name}: {accounts}"


def _kept_follow_list(
    stamps: _LatestStamps,
    profile_dir: Path,
    username: str,
    name: str,
    max_follows: int | None,
    max_age_days: float | None,
) -> tuple[int, datetime] | None:
    """How many accounts the follow list ``name`` on disk holds and when it was fetched, when
    it is kept instead of fetched again; None when it is fetched. It is kept when ``stamps``
    records that it was written complete less than ``max_age_days`` ago (None: never kept),
    ``<name>.json`` is a readable list, no newer fetch of it is under way (no ``.part``
    file), and no ``max_follows`` smaller than today's cut it (a list cut at 1,000 is fetched
    again for ``max_follows`` 2,000 or None)."""
    record = None if max_age_days is None else stamps.get_follow_list(username, name)
    if record is None or _PartialFollowList(profile_dir, name).path.exists():
        return None
    fetched, limit = record
    if datetime.now(UTC) - fetched >= timedelta(days=max_age_days):
        return None
    accounts = _read_account_list(profile_dir / f"{name}.json")
    if accounts is None:
        return None
    cut = limit is not None and len(accounts) >= limit
    if cut and (max_follows is None or max_follows > limit):
        return None
    return len(accounts), fetched


def _read_account_list(path: Path) -> list | None:
    """The JSON list of accounts in the file ``path``; None when it is missing, unreadable or
    not a list."""
    try:
        accounts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return accounts if isinstance(accounts, list) else None


def _is_follows_refusal(err: BaseException) -> bool:
    """Whether ``err`` refuses a follow list for good (instaloader 4.16's retired query hashes
    answer 401/403 or nothing usable): an instaloader or network error that is not a 429 and
    not the spent back-off budget, which are "wait" answers."""
    if any(isinstance(e, BackoffSpent | TooManyRequestsException) for e in _exception_chain(err)):
        return False
    return isinstance(err, InstaloaderException | OSError)


@dataclass(frozen=True)
class _PartialFollowList:
    """The accounts of a follow list fetched so far, in ``<name>.json.part`` beside the list
    (the parser passes ``.part`` files over as ``partial_download``); instaloader's iterator
    file beside it says where the listing goes on."""

    profile_dir: Path
    name: str

    @property
    def path(self) -> Path:
        return self.profile_dir / f"{self.name}.json.part"

    def read(self) -> list[str]:
        """The accounts fetched so far ([] when there is no readable partial list)."""
        return _read_account_list(self.path) or []

    def count(self) -> int:
        """How many accounts have been fetched so far."""
        return len(self.read())

    def write(self, usernames: list[str]) -> None:
        """Keep ``usernames`` as the accounts fetched so far."""
        _write_json_atomically(self.path, usernames)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _fetch_follow_list(
    loader: instaloader.Instaloader,
    profile: instaloader.Profile,
    profile_dir: Path,
    name: str,
    get_profiles: Callable[[], Any],
    max_follows: int | None,
) -> list[str]:
    """The usernames of the follow list ``name`` (at most ``max_follows``), walked with
    instaloader's ``resumable_iteration``: the accounts fetched so far
    (:class:`_PartialFollowList`) and the iterator's state (``iterator_<magic>.json.xz``, as
    for posts) are saved after every page and when an error stops the walk, and a later call
    goes on from them; both are removed once the list is complete."""
    partial = _PartialFollowList(profile_dir, name)
    accounts = get_profiles()
    resume_file = Path(
        loader.format_filename_within_target_path(
            profile.username, profile, loader.resume_prefix or "iterator", accounts.magic, "json.xz"
        )
    )
    usernames: list[str] = []

    def load(context: instaloader.InstaloaderContext, path: str) -> Any:
        frozen = instaloader.load_structure_from_file(context, path)
        if getattr(frozen, "total_index", 0) > partial.count():
            raise instaloader.InvalidArgumentException(f"{partial.path.name} is behind {path}")
        return frozen

    def save(frozen: instaloader.FrozenNodeIterator, path: str) -> None:
        partial.write(usernames)  # first: the iterator never points past the names kept
        _save_frozen(frozen, Path(path))

    with instaloader.resumable_iteration(
        context=loader.context,
        iterator=accounts,
        load=load,
        save=save,
        format_path=lambda _magic: str(resume_file),
        check_bbd=loader.check_resume_bbd,
    ) as (is_resuming, start_index):
        if is_resuming:
            usernames = partial.read()[:start_index]
        wanted = None if max_follows is None else max(max_follows - len(usernames), 0)
        for account in islice(accounts, wanted):
            usernames.append(account.username)
            if len(usernames) % instaloader.NodeIterator.page_length() == 0:
                save(accounts.freeze(), str(resume_file))
    resume_file.unlink(missing_ok=True)
    partial.remove()
    return usernames if max_follows is None else usernames[:max_follows]


def _download_posts(
    loader: instaloader.Instaloader,
    profile: instaloader.Profile,
    profile_dir: Path,
    progress: _Progress,
    stamps: instaloader.LatestStamps,
    *,
    max_posts: int | None,
    fast_update: bool,
    update: Update,
) -> None:
    """Walk the profile's posts newest first, resuming from instaloader's iterator file.

    With ``max_posts`` the walk ends once ``max_posts`` posts newer than the next one are on
    disk (or failed in this walk), so that the newest posts are kept even when older pinned
    posts come first; a post among the first ``POSSIBLY_PINNED_POSTS`` that is older than
    that many is passed over. With ``update="new_posts"`` the walk ends at the first post not
    newer than the newest one already downloaded (the ``stamps`` entry; without one, the
    whole profile is walked), the first ``POSSIBLY_PINNED_POSTS`` such posts excepted (and
    downloaded when not on disk: a pinned post that failed). A post whose metadata Instagram
    does not give is counted as failed and the walk goes on. A walk that ends without an
    error records in ``stamps`` the newest post it saw, or the newest stamp below its failed
    posts (:class:`_StampLimit`), so the next update tries them again. The iterator's state
    is saved after every post, so a run killed at any point resumes there.
    """
    if max_posts == 0:
        return
    username = profile.username
    since = _stamp(stamps, username) if update == "new_posts" else None
    newest_seen: datetime | None = None
    kept = _KeptPosts.on_disk(profile_dir)
    posts = profile.get_posts()

    def resume_path(magic: str) -> str:
        return loader.format_filename_within_target_path(
            username, profile, loader.resume_prefix or "iterator", magic, "json.xz"
        )

    with instaloader.resumable_iteration(
        context=loader.context,
        iterator=posts,
        load=instaloader.load_structure_from_file,
        save=instaloader.save_structure_to_file,
        format_path=resume_path,
        check_bbd=loader.check_resume_bbd,
    ) as (is_resuming, start_index):
        if is_resuming and not any(n.startswith("resumed after") for n in progress.notes):
            progress.notes.append(f"resumed after {start_index} posts")  # once, not per retry
        number = start_index
        total = _post_count(profile)
        if max_posts is not None and total is not None:
            total = min(total, max_posts)
        # A live count in a terminal (None: off where output is no terminal); the profile's
        # outcome is logged and reported when it ends.
        with tqdm(
            total=total, initial=start_index, desc=username, unit="post", disable=None
        ) as bar:
            for post in _listed_posts(posts, progress):
                number += 1
                bar.update()
                possibly_pinned = number <= POSSIBLY_PINNED_POSTS
                if post is None:  # its metadata failed (counted): it takes its place
                    kept.add(None)
                    progress.stamp_limit.failed(number, None)
                    _save_iterator(posts, Path(resume_path(posts.magic)))
                    continue
                taken = post.date_utc.replace(tzinfo=UTC)
                progress.stamp_limit.dated(number, taken)
                metadata_file = profile_dir / (
                    loader.format_filename(post, target=username) + ".json.xz"
                )
                already_downloaded = metadata_file.is_file()  # written last: the post is whole
                if since is not None and taken <= since:
                    if not possibly_pinned:
                        break
                    if already_downloaded:
                        continue  # perhaps pinned: newer posts may follow
                if max_posts is not None and kept.newer_than(taken) >= max_posts:
                    if possibly_pinned:
                        continue  # perhaps an old pinned post: newer posts may follow
                    break
                newest_seen = max(newest_seen or taken, taken)
                try:
                    missing_media = _download_post(loader, post, username)
                except Exception as err:
                    if not _is_post_failure(err):
                        raise  # the iterator file is saved; the next attempt resumes here
                    _count_failed_post(progress, str(post), err)
                    progress.stamp_limit.failed(number, taken)
                else:
                    progress.failed_in_a_row = 0
                    if already_downloaded:
                        progress.existing_posts += 1
                    else:
                        progress.new_posts += 1
                        progress.posts_missing_media += missing_media > 0
                    if (
                        fast_update
                        and already_downloaded
                        and not is_resuming
                        and number > POSSIBLY_PINNED_POSTS
                    ):
                        break
                if not already_downloaded:
                    kept.add(taken)
                _save_iterator(posts, Path(resume_path(posts.magic)))
                if (
                    max_posts is not None
                    and not possibly_pinned
                    and kept.newer_than(taken) + 1 >= max_posts
                ):
                    break  # the posts still to come are older than this one
    if isinstance(posts, instaloader.NodeIterator):
        Path(resume_path(posts.magic)).unlink(missing_ok=True)  # the walk is complete
    if newest_seen is not None:
        _record_stamp(stamps, username, progress, newest_seen)


def _record_stamp(
    stamps: instaloader.LatestStamps, username: str, progress: _Progress, newest_seen: datetime
) -> None:
    """Record in ``stamps`` where the next update of ``username``, whose finished walk saw
    posts up to ``newest_seen``, stops: at that post, or below the posts that failed (as
    ``progress.stamp_limit`` bounds it), never below the stamp already recorded. Say in
    ``progress.notes`` where the next update goes down to when a post failed."""
    limit = progress.stamp_limit
    if limit.open_failure:
        progress.notes.append(
            "update stamp not moved (no dated post came after a failed one): the next update "
            "tries the failed posts again"
        )
        return
    recorded = stamps.get_last_post_timestamp(username).astimezone(UTC)
    stamp = max(recorded, newest_seen if limit.limit is None else min(newest_seen, limit.limit))
    if stamp != recorded:  # each change rewrites the whole file
        stamps.set_last_post_timestamp(username, stamp)
    if progress.failed_posts:
        progress.notes.append(
            f"update stamp at {stamp:%Y-%m-%d %H:%M:%S} UTC: the next update tries again the "
            "failed posts newer than it"
        )


def _download_post(loader: _Loader, post: instaloader.Post, username: str) -> int:
    """Download ``post`` into ``username``'s folder; return how many of its photos and
    videos Instagram gave no address for (the post is saved without them).

    Logged in, instaloader fails on a post whose video was removed (iterating its absent
    video versions, instaloader#2161): the post is then downloaded without its video.
    """
    loader.missing_media = 0
    try:
        loader.download_post(post, target=username)
    except TypeError:
        if not post.is_video or _gives_video_url(post):
            raise
        download_videos, loader.download_videos = loader.download_videos, False
        try:
            loader.download_post(post, target=username)
        finally:
            loader.download_videos = download_videos
        loader.missing_media += 1
    return loader.missing_media


def _gives_video_url(post: instaloader.Post) -> bool:
    """Whether Instagram gives the address of the video of the video post ``post``."""
    try:
        return bool(post.video_url)
    except TypeError:  # logged in, instaloader iterates the absent video versions
        return False


def _listed_posts(
    posts: Iterator[instaloader.Post], progress: _Progress
) -> Iterator[instaloader.Post | None]:
    """The posts of ``posts``, with None in place of a post whose listing failed on its own
    (instaloader fetches each post's metadata while listing it; "Fetching Post metadata
    failed" when Instagram does not give it), counted in ``progress.failed_posts``. A failure
    of the listing itself (a page of posts, a "wait" answer) is raised."""
    while True:
        listed = _listed_count(posts)
        try:
            post = next(posts)
        except StopIteration:
            return
        except Exception as err:
            if _listed_count(posts) == listed or not _is_post_failure(err):
                raise
            _count_failed_post(progress, f"post {listed + 1}", err)
            yield None
        else:
            yield post


class PostsRefusedError(Exception):
    """:data:`MAX_FAILED_POSTS_IN_A_ROW` posts of a profile failed one after the other."""


def _count_failed_post(progress: _Progress, post: str, err: BaseException) -> None:
    """Count the failure ``err`` of ``post`` (a name for the log) in ``progress``; raise
    :class:`PostsRefusedError` when it is the :data:`MAX_FAILED_POSTS_IN_A_ROW`-th in a row."""
    progress.failed_posts[type(err).__name__] += 1
    progress.failed_in_a_row += 1
    logger.warning("Instagram post %s of %s failed: %s", post, progress.username, err)
    if progress.failed_in_a_row >= MAX_FAILED_POSTS_IN_A_ROW:
        raise PostsRefusedError(
            f"{progress.failed_in_a_row} posts in a row failed, the last with "
            f"{_describe(err)}: Instagram refuses this profile's posts for now (instaloader "
            "#2716); the profile stops here, run again later to try them again"
        )


def _listed_count(posts: Iterator[Any]) -> int | None:
    """How many posts ``posts`` has listed (None when it does not tell)."""
    return posts.total_index if isinstance(posts, instaloader.NodeIterator) else None


@dataclass
class _KeptPosts:
    """When the posts of a profile that count toward ``max_posts_per_profile`` were taken:
    those on disk and those that failed in this walk (``undated``: failed before their date
    was known, counted as newer than any post still to come)."""

    dates: list[datetime]
    undated: int = 0

    @classmethod
    def on_disk(cls, profile_dir: Path) -> "_KeptPosts":
        """The posts whose metadata file (written last) is in ``profile_dir``."""
        dates = []
        for path in profile_dir.glob("*_UTC.json.xz"):
            try:
                taken = datetime.strptime(path.name, "%Y-%m-%d_%H-%M-%S_UTC.json.xz")
            except ValueError:
                continue  # not a post's metadata (the profile's, a renamed file)
            dates.append(taken.replace(tzinfo=UTC))
        return cls(sorted(dates))

    def add(self, taken: datetime | None) -> None:
        """Count a post taken at ``taken`` (None: unknown)."""
        if taken is None:
            self.undated += 1
        else:
            bisect.insort(self.dates, taken)

    def newer_than(self, taken: datetime) -> int:
        """How many counted posts are newer than ``taken``."""
        return self.undated + len(self.dates) - bisect.bisect_right(self.dates, taken)


def _stamp(stamps: instaloader.LatestStamps, username: str) -> datetime | None:
    """When the newest post of ``username``'s last finished walk was taken (UTC), or None
    when no walk of the profile has finished."""
    stamp = stamps.get_last_post_timestamp(username).astimezone(UTC)
    return stamp if stamp > EPOCH else None


def _save_iterator(posts: instaloader.NodeIterator, path: Path) -> None:
    """Save the state of ``posts`` at ``path`` in instaloader's resume format, written to a
    temporary file and renamed, so a kill leaves the previous state or the new one whole."""
    if not isinstance(posts, instaloader.NodeIterator):
        return  # not resumable (instaloader's resumable_iteration passes it over too)
    _save_frozen(posts.freeze(), path)


def _save_frozen(frozen: instaloader.FrozenNodeIterator, path: Path) -> None:
    """Save ``frozen`` at ``path`` in instaloader's resume format, written to a temporary file
    and renamed."""
    temporary = path.with_name(path.name.removesuffix(".json.xz") + ".temp.json.xz")
    instaloader.save_structure_to_file(frozen, str(temporary))
    os.replace(temporary, path)


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
    """Whether Instagram answered "wait": 429, or 401/403 on a query (instaloader raises a
    plain ``ConnectionException`` whose message starts with the status code)."""
    return _push_back_answer(err) is not None


def _push_back_answer(err: BaseException) -> str | None:
    """The "wait" answer in ``err``'s chain (e.g. ``401 Unauthorized - "fail" status,
    message "Please wait a few minutes..."``), or None when there is none."""
    for e in _exception_chain(err):
        if isinstance(e, BackoffSpent):
            return str(e)
        if isinstance(e, TooManyRequestsException):
            return str(e) or "429 Too Many Requests"
        if type(e) is ConnectionException and _PUSH_BACK.match(str(e)):
            return str(e).split(" when accessing ")[0]
    return None


def _account_action(err: AbortDownloadException) -> str:
    """The account action an abort asks for (a key of :data:`ACCOUNT_ACTIONS`), by the
    answer's wording; ``unknown`` when it names none."""
    text = str(err)
    for action in ("checkpoint_required", "challenge_required", "feedback_required"):
        if action in text:
            return action
    if "login page" in text:
        return "login_page"
    return "unknown"


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

    "Wait" answers, login demands and network failures are the profile's: they stop it so
    that the next attempt resumes at this very post.
    """
    if _is_rate_limited(err) or isinstance(err, LoginRequiredException | AbortDownloadException):
        return False
    definitive = (QueryReturnedNotFoundException, QueryReturnedForbiddenException)
    if any(isinstance(e, definitive) for e in _exception_chain(err)):
        return True
    if isinstance(err, ConnectionException | OSError):
        return False
    return isinstance(err, InstaloaderException | LookupError | TypeError | ValueError)


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
    for name, fetched in sorted(progress.partial_follows.items()):
        parts.append(
            f"{name}: {fetched} fetched so far, the list is not complete (follows_partial): the "
            f"next run goes on from there; until then {name}.json, if any, is the last complete "
            "list"
        )
    if progress.posts_missing_media:
        parts.append(
            f"{progress.posts_missing_media} posts saved without a photo or video that "
            "Instagram gave no address for (e.g. a removed video, instaloader#2161)"
        )
    if progress.failed_posts:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(progress.failed_posts.items()))
        parts.append(f"{progress.failed_posts.total()} posts failed ({reasons})")
    outcome = {
        "status": status,
        "new_posts": progress.new_posts,
        "existing_posts": progress.existing_posts,
        "failed_posts": progress.failed_posts.total(),
        "message": "; ".join(parts),
    }
    if progress.action is not None:
        outcome["action"] = progress.action
    if progress.renamed_to is not None:
        outcome["renamed_to"] = progress.renamed_to
    if progress.posts_missing_media:
        outcome["posts_missing_media"] = progress.posts_missing_media
    return outcome


def _write_json_atomically(path: Path, usernames: list[str]) -> None:
    temporary = path.with_name(path.name + ".temp")
    temporary.write_text(json.dumps(usernames, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)
