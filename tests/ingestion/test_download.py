"""Tests of the live instaloader source, with only Instagram's servers faked.

``FakeInstagram`` answers the HTTP requests of the real instaloader 4.16 code (profile page,
web GraphQL queries, i.instagram.com, media CDN, login) from the recorded JSON in
``tests/fixtures/instaloader/``: per made-up account its profile (``user``, as embedded in the
profile page), its posts (``media``, as in ``xdt_api__v1__media__shortcode__web_info`` and
the logged-in timeline) and its follow lists. Everything above ``requests``' transport runs
for real.
"""

import http
import io
import json
import logging
import pickle
import random
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import instaloader
import pytest
import requests
from PIL import Image
from requests.cookies import cookiejar_from_dict
from requests.structures import CaseInsensitiveDict

from insta_kedro.ingestion.download import (
    LATEST_STAMPS_FILE,
    MAX_FAILED_POSTS_IN_A_ROW,
    POSSIBLY_PINNED_POSTS,
    Backoff,
    InstagramLogin,
    _LatestStamps,
    download_profiles,
    make_loader,
)
from insta_kedro.ingestion.sources import parse_download

FIXTURES = Path(__file__).parents[1] / "fixtures" / "instaloader"
ACCOUNTS = {path.name.removesuffix(".json"): path for path in sorted(FIXTURES.glob("*.json"))}
DOC_MEDIA_BY_SHORTCODE = "27128499623469141"
MEDIA_INFO = "xdt_api__v1__media__shortcode__web_info"
DOC_ANONYMOUS_TIMELINE = "28904005159232689"
DOC_LOGGED_IN_TIMELINE = "29104886249145907"
DOC_PROFILE_BY_ID = "27937681195819736"
QUERY_FOLLOWERS = "37479f2b8209594dde7facb0d904896a"
QUERY_FOLLOWEES = "58712303d941c6855d4e888c5f0cd22f"
PASSWORD = "Hunter2-very-secret-pw"
SESSION_ID = "SECRET-SESSION-ID-0123456789"
LAST_MODIFIED = "Tue, 14 Nov 2023 22:13:20 GMT"

Rule = Callable[[requests.PreparedRequest], "requests.Response | BaseException | None"]


def _tiny_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


class FakeInstagram:
    """Instagram's servers as instaloader 4.16 talks to them, served from recorded JSON."""

    def __init__(self, page_size: int = 2):
        self.accounts = {
            name: json.loads(path.read_text(encoding="utf-8")) for name, path in ACCOUNTS.items()
        }
        self.page_size = page_size
        self.rules: list[Rule] = []
        self.requests: list[str] = []
        self.unexpected: list[str] = []
        self.media_served: Counter[str] = Counter()
        self.metadata_served: Counter[str] = Counter()
        self.login_bodies: list[str] = []
        self.jpeg = _tiny_jpeg()

    # -- transport -------------------------------------------------------------------------
    def send(self, request: requests.PreparedRequest) -> requests.Response:
        self.requests.append(f"{request.method} {request.url}")
        for rule in self.rules:
            answer = rule(request)
            if isinstance(answer, BaseException):
                raise answer
            if answer is not None:
                return answer
        return self.route(request)

    def route(self, request: requests.PreparedRequest) -> requests.Response:
        url = urlsplit(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        form = {k: v[0] for k, v in parse_qs(body).items()}
        page = re.fullmatch(r"/([a-z0-9._]+)/", url.path)
        user_info = re.fullmatch(r"/api/v1/users/(\d+)/info/", url.path)
        response = None
        if url.netloc == "scontent.cdninstagram.com":
            response = self.media_file(request, url.path)
        elif url.netloc == "i.instagram.com" and user_info:
            account = self.account_by_pk(user_info.group(1))
            if account:
                user = dict(account["user"], id=account["user"]["pk"])
                response = self.json(request, {"user": user, "status": "ok"})
        elif request.method == "GET" and url.path == "/":
            response = self.html(request, self.start_page())
        elif request.method == "POST" and url.path == "/api/v1/web/accounts/login/ajax/":
            self.login_bodies.append(body)
            answer = {"authenticated": True, "user": True, "userId": "5100000099", "status": "ok"}
            response = self.json(request, answer, cookies={"csrftoken": "fake-csrf-after-login"})
        elif request.method == "POST" and url.path in ("/api/graphql", "/graphql/query"):
            answer = self.graphql(form["doc_id"], json.loads(form["variables"]))
            response = self.json(request, answer) if answer is not None else None
        elif request.method == "GET" and url.path == "/graphql/query":
            answer = self.follow_list(query["query_hash"], json.loads(query["variables"]))
            response = self.json(request, answer) if answer is not None else None
        elif request.method == "GET" and page:
            account = self.accounts.get(page.group(1))
            if account is None:
                response = self.html(request, "<html>Sorry, this page isn't available.</html>", 404)
            else:
                response = self.html(request, self.profile_page(account))
        if response is None:
            self.unexpected.append(f"{request.method} {request.url}")
            response = self.respond(request, 404, b"{}")
        return response

    # -- responses -------------------------------------------------------------------------
    def media_file(self, request: requests.PreparedRequest, path: str) -> requests.Response:
        name = path.rsplit("/", 1)[-1]
        if name.endswith(".mp4"):
            self.media_served[name] += 1
            return self.respond(request, 200, b"\x00\x00\x00\x18ftypmp42fake", "video/mp4")
        if "-pic" not in name:
            self.media_served[name] += 1
        return self.respond(
            request, 200, self.jpeg, "image/jpeg", headers={"Last-Modified": LAST_MODIFIED}
        )

    def graphql(self, doc_id: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        if doc_id == DOC_MEDIA_BY_SHORTCODE:
            shortcode = variables["shortcode"]
            self.metadata_served[shortcode] += 1
            items = [
                m for a in self.accounts.values() for m in a["media"] if m["code"] == shortcode
            ]
            return {"data": {"xdt_api__v1__media__shortcode__web_info": {"items": items}}}
        if doc_id == DOC_ANONYMOUS_TIMELINE:
            account = next(a for a in self.accounts.values() if a["user"]["id"] == variables["id"])
            nodes = [self.timeline_node(m) for m in account["media"]]
            connection = self.page(nodes, variables.get("after"))
            return {"data": {"node": {"polaris_ordered_timeline_connection": connection}}}
        if doc_id == DOC_LOGGED_IN_TIMELINE:
            account = self.accounts[variables["username"]]
            connection = self.page(account["media"], variables.get("after"))
            return {"data": {"xdt_api__v1__feed__user_timeline_graphql_connection": connection}}
        if doc_id == DOC_PROFILE_BY_ID:
            account = self.account_by_pk(variables["id"])
            # unlike the profile page's "id", GraphQL's user "id" is the user ID
            user = dict(
                account["user"],
                id=account["user"]["pk"],
                friendship_status={"following": True, "blocking": False},
            )
            return {"data": {"user": user}, "status": "ok"}
        return None

    def follow_list(self, query_hash: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        edge = {QUERY_FOLLOWERS: "edge_followed_by", QUERY_FOLLOWEES: "edge_follow"}.get(query_hash)
        account = self.account_by_pk(variables["id"])
        if edge is None or account is None:
            return None
        names = account["followers" if edge == "edge_followed_by" else "followees"]
        nodes = [{"id": f"77{i:08d}", "username": name} for i, name in enumerate(names)]
        connection = self.page(nodes, variables.get("after"))
        return {"data": {"user": {edge: dict(connection, count=len(nodes))}}, "status": "ok"}

    def page(self, nodes: list[dict], after: str | None) -> dict[str, Any]:
        start = int(after) if after else 0
        end = start + self.page_size
        return {
            "edges": [{"node": node} for node in nodes[start:end]],
            "page_info": {"has_next_page": end < len(nodes), "end_cursor": str(end)},
        }

    @staticmethod
    def timeline_node(media: dict[str, Any]) -> dict[str, Any]:
        return {key: media[key] for key in ("code", "pk", "id", "media_type", "taken_at")}

    def profile_page(self, account: dict[str, Any]) -> str:
        """The profile page, embedding its two queries as ``__bbox`` results like the real one."""
        user = account["user"]
        results = [{"xig_user_by_username": user}]
        if not user["is_private"]:
            nodes = [self.timeline_node(m) for m in account["media"]]
            timeline = {
                "id": user["id"],
                "is_private": False,
                "polaris_ordered_timeline_connection": self.page(nodes, None),
            }
            results.append({"xig_user_by_username": timeline})
        scripts = "".join(
            '<script type="application/json" data-sjs>'
            + json.dumps(
                {
                    "require": [
                        [
                            "RelayPrefetchedStreamCache",
                            "next",
                            [],
                            [
                                "adp_PolarisProfile",
                                {"__bbox": {"complete": True, "result": {"data": data}}},
                            ],
                        ]
                    ]
                }
            )
            + "</script>"
            for data in results
        )
        return f"<!DOCTYPE html><html><head>{scripts}</head><body></body></html>"

    @staticmethod
    def start_page() -> str:
        return (
            '<html><script>["DTSGInitialData",[],{"token":"fake-dtsg"},258],'
            '["LSD",[],{"token":"fake-lsd"},323],{"IG_USER_EIMU":"0"}</script></html>'
        )

    def account_by_pk(self, pk: str) -> dict[str, Any] | None:
        return next((a for a in self.accounts.values() if a["user"]["pk"] == str(pk)), None)

    def json(self, request, payload: dict, cookies: dict | None = None) -> requests.Response:
        body = json.dumps(payload).encode()
        return self.respond(request, 200, body, "application/json; charset=utf-8", cookies=cookies)

    def html(self, request, text: str, status: int = 200) -> requests.Response:
        return self.respond(request, status, text.encode(), "text/html; charset=utf-8")

    @staticmethod
    def respond(
        request: requests.PreparedRequest,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        *,
        headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.reason = http.HTTPStatus(status).phrase
        response.headers = CaseInsensitiveDict(
            {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}
        )
        response.raw = io.BytesIO(body)
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        if cookies:
            response.cookies = cookiejar_from_dict(cookies)
        return response

    # -- failure rules -----------------------------------------------------------------------
    def fail_media_after(self, served: int, error: BaseException) -> None:
        """Every media request after ``served`` media files fails with ``error``."""

        def rule(request):
            is_media = urlsplit(request.url).netloc == "scontent.cdninstagram.com"
            if is_media and sum(self.media_served.values()) >= served:
                return error
            return None

        self.rules.append(rule)

    def answer_429(self, matches: Callable[[str], bool], times: int | None = None) -> None:
        """Answer requests whose URL+body ``matches`` with 429, ``times`` times (None: always)."""
        self.answer(429, b'{"message": "Please wait a few minutes"}', matches, times)

    def answer(
        self, status: int, body: bytes, matches: Callable[[str], bool], times: int | None = None
    ) -> None:
        """Answer requests whose URL+body ``matches`` with ``status`` and ``body``, ``times``
        times (None: always)."""
        remaining = [times]

        def rule(request):
            text = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
            if not matches(f"{request.url} {text}") or remaining[0] == 0:
                return None
            if remaining[0] is not None:
                remaining[0] -= 1
            return self.respond(request, status, body)

        self.rules.append(rule)

    def withhold_metadata(self, code: str) -> None:
        """Answer the metadata query of post ``code`` with no item, as Instagram does for a
        post it will not show (instaloader: "Fetching Post metadata failed.")."""

        def rule(request):
            body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
            if DOC_MEDIA_BY_SHORTCODE in body and code in body:
                self.metadata_served[code] += 1
                empty = {"data": {"xdt_api__v1__media__shortcode__web_info": {"items": []}}}
                return self.json(request, empty)
            return None

        self.rules.append(rule)

    def redirect_metadata(self, code: str, new_code: str) -> None:
        """Answer the metadata query of post ``code`` with the post under ``new_code``, as
        Instagram does when a post's address redirects (instaloader#225)."""

        def rule(request):
            body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
            if DOC_MEDIA_BY_SHORTCODE in body and code in body:
                self.metadata_served[code] += 1
                media = self.accounts_media()
                items = [dict(m, code=new_code) for m in media if m["code"] == code]
                return self.json(request, {"data": {MEDIA_INFO: {"items": items}}})
            return None

        self.rules.append(rule)

    def accounts_media(self) -> list[dict[str, Any]]:
        """Every post of every account."""
        return [m for account in self.accounts.values() for m in account["media"]]

    def add_post(self, username: str, code: str, taken_at: int) -> None:
        """Publish a new post ``code`` on top of ``username``'s timeline (a copy of their
        newest one with its own code, ids, time and image)."""
        account = self.accounts[username]
        post = json.loads(json.dumps(account["media"][0]))
        newest = account["media"][0]
        post.update(code=code, taken_at=taken_at, pk=f"{newest['pk']}{len(account['media'])}")
        post["id"] = f"{post['pk']}_{account['user']['pk']}"
        url = newest["image_versions2"]["candidates"][0]["url"]
        post["image_versions2"]["candidates"][0]["url"] = url.replace(newest["code"], code)
        account["media"].insert(0, post)

    def add_account(self, username: str, posts: int = 1) -> str:
        """Open the account ``username``: a copy of ``ben_hikes`` with its own id, post codes
        and images, and its newest ``posts`` posts; return ``username``."""
        number = len(self.accounts)
        text = json.dumps(self.accounts["ben_hikes"])
        text = text.replace("ben_hikes", username).replace("5100000002", f"52{number:08d}")
        account = json.loads(text.replace("DemoBen", f"Acct{number:05d}"))
        account["media"] = account["media"][:posts]
        self.accounts[username] = account
        return username

    def pin(self, username: str, code: str) -> None:
        """Move post ``code`` to the top of ``username``'s timeline, as a pinned post is."""
        media = self.accounts[username]["media"]
        media.insert(0, media.pop(next(i for i, m in enumerate(media) if m["code"] == code)))

    def media_urls(self, username: str) -> set[str]:
        names = set()
        for media in self.accounts[username]["media"]:
            for item in [media, *(media["carousel_media"] or [])]:
                names.add(urlsplit(item["image_versions2"]["candidates"][0]["url"]).path)
                for version in item.get("video_versions") or []:
                    names.add(urlsplit(version["url"]).path)
        return {path.rsplit("/", 1)[-1] for path in names}


@pytest.fixture
def sleeps() -> list[float]:
    return []


WAIT_401 = (
    b'{"message": "Please wait a few minutes before you try again.", "require_login": true,'
    b' "status": "fail"}'
)


def _download(target: Path, profiles: list[str], sleeps: list[float], **kwargs) -> dict:
    loader = make_loader(target, sleep=sleeps.append, pause_between_requests=False)
    kwargs.setdefault("max_posts_per_profile", None)
    kwargs.setdefault("rng", random.Random(0))
    return download_profiles(profiles, target, loader=loader, sleep=sleeps.append, **kwargs)


def _post_files(profile_dir: Path) -> dict[str, list[str]]:
    """Post files by post (the ``{date_utc}_UTC`` prefix)."""
    posts: dict[str, list[str]] = {}
    for path in sorted(profile_dir.iterdir()):
        match = re.match(r"(\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_UTC)(.*)$", path.name)
        if match and "profile_pic" not in match.group(2):
            posts.setdefault(match.group(1), []).append(match.group(2))
    return posts


def test_downloads_two_profiles_in_instaloader_layout(tmp_path, fake_instagram, sleeps):
    report = _download(tmp_path, ["anna.cooks", "@Ben_Hikes"], sleeps)

    assert report["anna.cooks"] == {
        "status": "ok",
        "new_posts": 5,
        "existing_posts": 0,
        "failed_posts": 0,
        "message": "",
    }
    assert report["ben_hikes"]["status"] == "ok"
    assert report["ben_hikes"]["new_posts"] == 3
    assert fake_instagram.unexpected == []
    anna = tmp_path / "anna.cooks"
    assert (anna / "id").read_text().strip() == "5100000001"
    assert (anna / "2023-11-14_22-13-20_UTC_profile_pic.jpg").is_file()
    assert _post_files(anna) == {
        "2023-11-10_07-06-40_UTC": [".jpg", ".json.xz", ".txt"],
        "2023-11-11_10-53-20_UTC": [".jpg", ".json.xz"],  # no caption, no .txt
        "2023-11-12_14-40-00_UTC": [".jpg", ".json.xz", ".mp4", ".txt"],  # video + thumbnail
        "2023-11-13_18-26-40_UTC": [".json.xz", ".txt", "_1.jpg", "_2.jpg", "_2.mp4"],  # carousel
        "2023-11-14_22-13-20_UTC": [".jpg", ".json.xz", ".txt"],
    }
    assert not list(anna.glob("iterator_*")) and not (anna / "followers.json").exists()
    caption = (anna / "2023-11-14_22-13-20_UTC.txt").read_text(encoding="utf-8")
    assert caption == "Sunday sauce, slow and low 🍅 #pasta #homecooking @ben_hikes\n"

    context = instaloader.Instaloader().context
    profile = instaloader.load_structure_from_file(
        context, str(anna / "anna.cooks_5100000001.json.xz")
    )
    assert isinstance(profile, instaloader.Profile)
    assert (profile.username, profile.followers, profile.followees) == ("anna.cooks", 1234, 321)
    assert profile.biography.startswith("Home cooking")
    loaded = {}
    for profile_dir in (anna, tmp_path / "ben_hikes"):
        for path in profile_dir.glob("*_UTC.json.xz"):
            post = instaloader.load_structure_from_file(context, str(path))
            assert isinstance(post, instaloader.Post)
            assert path.name == f"{post.date_utc:%Y-%m-%d_%H-%M-%S}_UTC.json.xz"
            loaded[post.shortcode] = post
    assert len(loaded) == 8
    assert loaded["DemoAnnaA02"].typename == "GraphSidecar"
    assert loaded["DemoAnnaA02"].get_is_videos() == [False, True]
    assert loaded["DemoAnnaA03"].typename == "GraphVideo"
    assert loaded["DemoAnnaA04"].caption is None
    assert loaded["DemoAnnaA01"].likes == 210
    assert loaded["DemoAnnaA01"].accessibility_caption.startswith("Photo by Anna")
    assert loaded["DemoBenB01"].owner_username == "ben_hikes"


def test_cap_takes_the_newest_posts_and_a_higher_cap_adds_only_new_ones(
    tmp_path, fake_instagram, sleeps
):
    first = _download(tmp_path, ["anna.cooks"], sleeps, max_posts_per_profile=2)
    second = _download(tmp_path, ["anna.cooks"], sleeps, max_posts_per_profile=4)

    assert (first["anna.cooks"]["new_posts"], first["anna.cooks"]["existing_posts"]) == (2, 0)
    assert (second["anna.cooks"]["new_posts"], second["anna.cooks"]["existing_posts"]) == (2, 2)
    assert sorted(_post_files(tmp_path / "anna.cooks"))[0] == "2023-11-11_10-53-20_UTC"
    assert len(_post_files(tmp_path / "anna.cooks")) == 4
    assert set(fake_instagram.media_served.values()) == {1}
    assert "DemoAnnaA05" not in fake_instagram.metadata_served


@pytest.mark.parametrize(
    "interruption",
    [requests.exceptions.ConnectionError("network is unreachable"), KeyboardInterrupt()],
    ids=["network-down", "keyboard-interrupt"],
)
def test_interrupted_download_resumes_without_downloading_a_post_twice(
    tmp_path, fake_instagram, sleeps, interruption
):
    # The 4th media file is the video of the carousel, the 2nd post (posts come 2 per page).
    fake_instagram.fail_media_after(3, interruption)
    if isinstance(interruption, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            _download(tmp_path, ["anna.cooks"], sleeps)
    else:
        first = _download(tmp_path, ["anna.cooks"], sleeps)
        assert first["anna.cooks"]["status"] == "error"
        assert first["anna.cooks"]["new_posts"] == 1
        assert "ConnectionException" in first["anna.cooks"]["message"]
    anna = tmp_path / "anna.cooks"
    assert len(list(anna.glob("iterator_*.json.xz"))) == 1
    assert sum(fake_instagram.media_served.values()) == 3

    fake_instagram.rules.clear()
    second = _download(tmp_path, ["anna.cooks"], sleeps)

    assert second["anna.cooks"]["status"] == "ok"
    assert second["anna.cooks"]["new_posts"] == 4
    assert "resumed after 1 posts" in second["anna.cooks"]["message"]
    assert not list(anna.glob("iterator_*"))
    assert len(_post_files(anna)) == 5
    # every media file exactly once over both runs; only the interrupted post's metadata twice
    assert fake_instagram.media_served == Counter(
        dict.fromkeys(fake_instagram.media_urls("anna.cooks"), 1)
    )
    # The resumed iterator re-creates its newest post (A01) from the stored node and
    # re-fetches the interrupted post (A02); it never walks the downloaded posts again.
    assert fake_instagram.metadata_served == Counter(
        {"DemoAnnaA01": 2, "DemoAnnaA02": 2, "DemoAnnaA03": 1, "DemoAnnaA04": 1, "DemoAnnaA05": 1}
    )


def test_rate_limit_then_success(tmp_path, fake_instagram, sleeps):
    fake_instagram.answer_429(lambda request: "instagram.com/anna.cooks/" in request, times=1)
    fake_instagram.answer_429(lambda request: "DemoAnnaA03" in request, times=1)

    report = _download(tmp_path, ["anna.cooks"], sleeps, backoff=Backoff(first_wait_s=30.0))

    assert report["anna.cooks"]["status"] == "ok"
    assert report["anna.cooks"]["new_posts"] == 5
    assert 15.0 <= sleeps[0] <= 30.0  # this module's back-off (with jitter) after the 429
    # then instaloader's rate controller: 11 minutes before repeating the refused query (the
    # injected sleep does not advance its clock, so it waits again before each later query)
    assert len(sleeps) > 1 and all(600 < s < 700 for s in sleeps[1:])
    assert fake_instagram.metadata_served["DemoAnnaA03"] == 1


def test_a_401_please_wait_is_backed_off_then_the_download_goes_on(
    tmp_path, fake_instagram, sleeps, caplog
):
    """instaloader#2426, #2501, #2568, #2614: 401 "Please wait a few minutes" is a plain
    ConnectionException, retried by instaloader 3 times without waiting; the download backs
    off (exponentially, with jitter) and then goes on."""
    on_profile_page = lambda request: "instagram.com/anna.cooks/" in request  # noqa: E731
    fake_instagram.answer(401, WAIT_401, on_profile_page, times=3)  # instaloader's own 3 tries
    fake_instagram.answer(401, WAIT_401, on_profile_page, times=3)
    backoff = Backoff(first_wait_s=60.0, factor=2.0, max_wait_s=900.0, budget_s=3600.0)

    with caplog.at_level(logging.WARNING, logger="insta_kedro.ingestion.download"):
        report = _download(tmp_path, ["anna.cooks"], sleeps, backoff=backoff)

    assert report["anna.cooks"]["status"] == "ok"
    assert report["anna.cooks"]["new_posts"] == 5
    assert 30.0 <= sleeps[0] <= 60.0 and 60.0 <= sleeps[1] <= 120.0
    assert "Please wait a few minutes" in caplog.text and "retry 2" in caplog.text


def test_a_persisting_401_spends_the_budget_then_a_later_run_resumes(
    tmp_path, fake_instagram, sleeps
):
    """A 401 that does not go away: the waits grow up to ``max_wait_s`` until the budget is
    spent; the profile is rate_limited, the next ones are not attempted, and a later run
    downloads everything."""
    fake_instagram.answer(401, WAIT_401, lambda request: "DemoAnnaA03" in request)
    backoff = Backoff(first_wait_s=100.0, factor=3.0, max_wait_s=500.0, budget_s=1000.0)

    report = _download(tmp_path, ["anna.cooks", "ben_hikes"], sleeps, backoff=backoff)

    assert report["anna.cooks"]["status"] == "rate_limited"
    assert "still asks to wait" in report["anna.cooks"]["message"]
    assert report["anna.cooks"]["message"].count("resumed after") == 1  # not once per retry
    assert report["anna.cooks"]["new_posts"] == 2  # A01 and A02 before the refusals
    assert report["ben_hikes"]["status"] == "not_attempted"
    assert "ingestion.backoff.budget_s" in report["ben_hikes"]["message"]
    waits = [s for s in sleeps if s < 600]  # leave out instaloader's own short waits
    assert 50.0 <= waits[0] <= 100.0 and 150.0 <= waits[1] <= 300.0
    assert all(250.0 <= w <= 500.0 for w in waits[2:])
    assert sum(waits) <= 1000.0
    assert not (tmp_path / "ben_hikes").exists()

    fake_instagram.rules.clear()  # Instagram lets the account through again
    fake_instagram.metadata_served.clear()
    again = _download(tmp_path, ["anna.cooks", "ben_hikes"], [], backoff=backoff)

    assert again["anna.cooks"]["status"] == "ok"
    assert again["anna.cooks"]["new_posts"] == 3
    assert again["ben_hikes"]["status"] == "ok"
    assert fake_instagram.metadata_served["DemoAnnaA04"] == 1


def test_a_403_on_graphql_is_a_wait_answer_not_a_missing_profile(tmp_path, fake_instagram, sleeps):
    """instaloader#2678, #2690, #2711: 403 on graphql/query (4.15.1 reported it as "Profile X
    does not exist"); it is backed off like the other "wait" answers, and a profile that
    still gets it is rate_limited, not not_found."""
    forbidden = b'{"message": "", "status": "fail"}'
    fake_instagram.answer(403, forbidden, lambda request: "graphql" in request)

    report = _download(tmp_path, ["anna.cooks"], sleeps, backoff=Backoff(budget_s=200.0))

    assert report["anna.cooks"]["status"] == "rate_limited"
    assert "403 Forbidden" in report["anna.cooks"]["message"]
    assert sum(s for s in sleeps if s < 600) <= 200.0


def test_private_profile_is_recorded_and_the_next_profile_goes_on(tmp_path, fake_instagram, sleeps):
    report = _download(tmp_path, ["carla.private", "ben_hikes"], sleeps)

    assert report["carla.private"]["status"] == "private"
    assert report["carla.private"]["new_posts"] == 0
    assert "private" in report["carla.private"]["message"]
    carla = tmp_path / "carla.private"
    assert (carla / "carla.private_5100000003.json.xz").is_file()  # the profile is still known
    assert _post_files(carla) == {}
    assert report["ben_hikes"]["status"] == "ok"


def test_a_profile_gone_private_has_no_posts_nor_follows_from_when_it_was_public(
    tmp_path, fake_instagram, sleeps
):
    """anna.cooks was downloaded while public (posts, followers), then made her account
    private: the next run finds her private and not followed, and her posts and follow lists
    still on disk are left out of posts and follows, counted as skipped profile_private; her
    profile row stays, saying she is private."""
    target = tmp_path / "dl"
    first = _download(
        target, ["anna.cooks"], sleeps, login=_session_login(tmp_path), download_follows=True
    )
    assert first["anna.cooks"]["new_posts"] == 5
    fake_instagram.accounts["anna.cooks"]["user"]["is_private"] = True

    downloads = _download(target, ["anna.cooks", "ben_hikes"], sleeps)
    raw = {"source": "instaloader", "folder": str(target), "downloads": downloads}
    posts, profiles, follows, report = parse_download(raw)

    assert downloads["anna.cooks"]["status"] == "private"
    assert "anna.cooks" not in set(posts["profile"])
    assert set(posts["profile"]) == {"ben_hikes"}
    assert "anna.cooks" not in set(follows["followee"]) | set(follows["follower"])
    anna = profiles.set_index("profile").loc["anna.cooks"]
    assert anna["is_private"] == True  # noqa: E712 (a nullable boolean)
    assert not anna["followers_known"]
    counts = report["profiles"]["anna.cooks"]
    on_disk = [f for files in _post_files(target / "anna.cooks").values() for f in files]
    assert counts["skipped"] == {"profile_private": len(on_disk) + 2}  # + the 2 follow lists
    assert counts["posts_parsed"] == 0
    assert counts["files_seen"] == (
        counts["files_parsed"]
        + sum(counts["skipped"].values())
        + sum(counts["ignored_files"].values())
    )


def test_missing_and_invalid_profiles_are_recorded(tmp_path, fake_instagram, sleeps):
    report = _download(tmp_path, ["ghost.account", "not a name!", "ben_hikes"], sleeps)

    assert report["ghost.account"]["status"] == "not_found"
    assert "ProfileNotExistsException" in report["ghost.account"]["message"]
    assert report["not a name!"]["status"] == "error"
    assert report["ben_hikes"]["status"] == "ok"
    assert not (tmp_path / "ghost.account").exists()


def test_checkpoint_aborts_the_run_and_records_the_remaining_profiles(
    tmp_path, fake_instagram, sleeps
):
    """instaloader raises AbortDownloadException (not an InstaloaderException) on
    checkpoint_required: the whole download stops, says what Instagram asks of the account,
    keeps the resume state, and a later run goes on from there."""
    checkpoint = b'{"message": "checkpoint_required", "status": "fail"}'
    fake_instagram.answer(400, checkpoint, lambda request: "DemoAnnaA02" in request)

    report = _download(tmp_path, ["anna.cooks", "ben_hikes"], sleeps)

    assert report["anna.cooks"]["status"] == "aborted"
    assert report["anna.cooks"]["action"] == "checkpoint_required"
    assert "complete the security check" in report["anna.cooks"]["message"]
    assert report["anna.cooks"]["new_posts"] == 1
    assert report["ben_hikes"]["status"] == "not_attempted"
    assert "stopped at anna.cooks (checkpoint_required)" in report["ben_hikes"]["message"]
    assert not (tmp_path / "ben_hikes").exists()
    assert list((tmp_path / "anna.cooks").glob("iterator_*.json.xz"))  # resumable later
    assert sleeps == []  # no back-off: waiting does not clear a checkpoint

    fake_instagram.rules.clear()
    fake_instagram.metadata_served.clear()
    again = _download(tmp_path, ["anna.cooks", "ben_hikes"], [])

    assert (again["anna.cooks"]["status"], again["ben_hikes"]["status"]) == ("ok", "ok")
    assert again["anna.cooks"]["new_posts"] == 4
    assert "resumed after" in again["anna.cooks"]["message"]
    assert fake_instagram.metadata_served["DemoAnnaA05"] == 1


def test_feedback_required_names_its_account_action(tmp_path, fake_instagram, sleeps):
    feedback = b'{"message": "feedback_required", "status": "fail"}'
    fake_instagram.answer(400, feedback, lambda request: "DemoBenB01" in request)

    report = _download(tmp_path, ["ben_hikes", "anna.cooks"], sleeps)

    assert report["ben_hikes"]["status"] == "aborted"
    assert report["ben_hikes"]["action"] == "feedback_required"
    assert "pause downloads for a day" in report["ben_hikes"]["message"]
    assert report["anna.cooks"]["status"] == "not_attempted"


def test_forbidden_media_counts_a_failed_post(tmp_path, fake_instagram, sleeps):
    fake_instagram.answer(403, b"URL signature expired", lambda text: "DemoBenB02-1.jpg" in text)

    report = _download(tmp_path, ["ben_hikes"], sleeps)

    assert report["ben_hikes"]["status"] == "ok"
    assert (report["ben_hikes"]["new_posts"], report["ben_hikes"]["failed_posts"]) == (2, 1)
    assert "QueryReturnedForbiddenException: 1" in report["ben_hikes"]["message"]


def test_fast_update_stops_at_the_first_downloaded_post_after_the_pinned_ones(
    tmp_path, fake_instagram, sleeps
):
    _download(tmp_path, ["anna.cooks"], sleeps)
    fake_instagram.metadata_served.clear()

    report = _download(tmp_path, ["anna.cooks"], sleeps, fast_update=True)

    assert report["anna.cooks"]["existing_posts"] == POSSIBLY_PINNED_POSTS + 1
    assert report["anna.cooks"]["new_posts"] == 0
    assert "DemoAnnaA05" not in fake_instagram.metadata_served
    assert sum(fake_instagram.media_served.values()) == len(fake_instagram.media_urls("anna.cooks"))


def test_session_file_login_downloads_follow_lists(
    tmp_path, fake_instagram, sleeps, caplog, capsys
):
    session_file = tmp_path / "session-demo.user"
    session_file.write_bytes(
        pickle.dumps(
            {"csrftoken": "fake-csrf", "sessionid": SESSION_ID, "ds_user_id": "5100000099"}
        )
    )
    login = InstagramLogin(username="demo.user", session_file=str(session_file))
    target = tmp_path / "dl"

    with caplog.at_level(logging.DEBUG):
        report = _download(target, ["anna.cooks"], sleeps, login=login, download_follows=True)

    assert report["anna.cooks"]["status"] == "ok"
    assert report["anna.cooks"]["new_posts"] == 5
    anna = target / "anna.cooks"
    followers = json.loads((anna / "followers.json").read_text(encoding="utf-8"))
    assert followers == ["ben_hikes", "carla.private", "demo.fan"]
    assert json.loads((anna / "followees.json").read_text()) == ["ben_hikes", "demo.bakery"]
    # logged in, instaloader stores the iPhone schema of the post
    post = instaloader.load_structure_from_file(
        instaloader.Instaloader().context, str(anna / "2023-11-13_18-26-40_UTC.json.xz")
    )
    assert "iphone_struct" in post._node and "date" in post._node
    assert post.caption == "Market haul → dinner #farmersmarket"
    assert fake_instagram.unexpected == []
    captured = capsys.readouterr()
    assert SESSION_ID not in caplog.text + captured.out + captured.err + json.dumps(report)


def test_follows_are_skipped_with_a_notice_when_not_logged_in(
    tmp_path, fake_instagram, sleeps, caplog
):
    with caplog.at_level(logging.INFO, logger="insta_kedro.ingestion.download"):
        report = _download(tmp_path, ["ben_hikes"], sleeps, download_follows=True)

    assert report["ben_hikes"]["status"] == "ok"
    assert "follows skipped: not logged in" in report["ben_hikes"]["message"]
    assert "need a login" in caplog.text
    assert not (tmp_path / "ben_hikes" / "followers.json").exists()


def test_credentials_never_reach_logs_reports_or_reprs(
    tmp_path, fake_instagram, sleeps, caplog, capsys
):
    login = InstagramLogin(username="demo.user", password=PASSWORD)
    fake_instagram.answer_429(lambda request: "DemoAnnaA01" in request, times=1)

    with caplog.at_level(logging.DEBUG):
        report = _download(tmp_path, ["anna.cooks", "ghost.account"], sleeps, login=login)

    assert any(PASSWORD in body for body in fake_instagram.login_bodies)  # sent to Instagram only
    assert report["anna.cooks"]["status"] == "ok"
    assert "Logged in to Instagram as demo.user" in caplog.text
    captured = capsys.readouterr()
    for text in (
        caplog.text,
        captured.out,
        captured.err,
        json.dumps(report),
        repr(login),
        str(login),
    ):
        assert PASSWORD not in text
    assert "password" not in repr(login)


def test_failed_login_goes_on_anonymously_without_leaking_the_password(
    tmp_path, fake_instagram, sleeps, caplog
):
    def wrong_password(request):
        if request.url.endswith("/accounts/login/ajax/"):
            payload = {"authenticated": False, "user": True, "status": "ok", "echo": request.body}
            return fake_instagram.json(request, payload)
        return None

    fake_instagram.rules.append(wrong_password)
    login = InstagramLogin(username="demo.user", password=PASSWORD)

    with caplog.at_level(logging.DEBUG):
        report = _download(tmp_path, ["ben_hikes"], sleeps, login=login)

    assert report["ben_hikes"]["status"] == "ok"
    assert "login failed" in report["ben_hikes"]["message"]
    assert "BadCredentialsException" in caplog.text
    assert PASSWORD not in caplog.text + json.dumps(report)


def _session_login(tmp_path: Path) -> InstagramLogin:
    session_file = tmp_path / "session-demo.user"
    session_file.write_bytes(
        pickle.dumps(
            {"csrftoken": "fake-csrf", "sessionid": SESSION_ID, "ds_user_id": "5100000099"}
        )
    )
    return InstagramLogin(username="demo.user", session_file=str(session_file))


def test_an_empty_follower_list_of_a_profile_with_followers_is_unavailable_not_zero(
    tmp_path, fake_instagram, sleeps
):
    """instaloader#2741: get_followers() uses a retired query hash and comes back empty,
    while the profile reports 1234 followers: recorded as follows_unavailable, no
    followers.json (which would read as "no followers"); the followees still come."""
    fake_instagram.accounts["anna.cooks"]["followers"] = []
    target = tmp_path / "dl"

    report = _download(
        target, ["anna.cooks"], sleeps, login=_session_login(tmp_path), download_follows=True
    )

    assert report["anna.cooks"]["status"] == "ok"
    assert report["anna.cooks"]["follows"] == {"followers": "unavailable", "followees": "known"}
    assert "follows_unavailable" in report["anna.cooks"]["message"]
    assert "reports 1234" in report["anna.cooks"]["message"]
    assert not (target / "anna.cooks" / "followers.json").exists()
    assert json.loads((target / "anna.cooks" / "followees.json").read_text()) == [
        "ben_hikes",
        "demo.bakery",
    ]


def test_a_refused_follower_list_is_unavailable_and_spends_no_back_off(
    tmp_path, fake_instagram, sleeps
):
    """instaloader#2614: the follower query answers 401; the posts are kept, the list is
    follows_unavailable, and no back-off budget is spent on a query that cannot work."""
    fake_instagram.answer(401, WAIT_401, lambda request: QUERY_FOLLOWERS in request)
    target = tmp_path / "dl"

    report = _download(
        target, ["anna.cooks"], sleeps, login=_session_login(tmp_path), download_follows=True
    )

    assert report["anna.cooks"]["status"] == "ok"
    assert report["anna.cooks"]["new_posts"] == 5
    assert report["anna.cooks"]["follows"]["followers"] == "unavailable"
    assert all(s >= 600 or s < 10 for s in sleeps)  # no module back-off
    assert not (target / "anna.cooks" / "followers.json").exists()


def _follower_pages(fake_instagram: FakeInstagram) -> list[int]:
    """Record where each follower query asked to start (0: the first page); return the list
    the records go to."""
    starts: list[int] = []

    def record(request):
        if QUERY_FOLLOWERS in request.url:
            variables = json.loads(parse_qs(urlsplit(request.url).query)["variables"][0])
            starts.append(int(variables.get("after", 0)))

    fake_instagram.rules.insert(0, record)
    return starts


def test_a_follow_list_stopped_by_the_back_off_budget_resumes_where_it_stopped(
    tmp_path, fake_instagram, sleeps
):
    """A follower list of 300 accounts (12 a page); from the 11th page on Instagram answers
    429 until the back-off budget is spent: the profile is rate_limited, its followers
    ``partial`` (120 fetched, counted in the message; no followers.json, which would read as
    the whole list). The next run asks only the pages after them (and the first, which
    instaloader's iterator asks when made) and writes the whole list, each account once."""
    fake_instagram.page_size = 12
    names = [f"made.up.{i:04d}" for i in range(300)]
    fake_instagram.accounts["anna.cooks"]["followers"] = names
    target, login = tmp_path / "dl", _session_login(tmp_path)
    fake_instagram.answer_429(lambda r: QUERY_FOLLOWERS in r and "%22after%22%3A%22120%22" in r)
    starts = _follower_pages(fake_instagram)

    first = _download(
        target,
        ["anna.cooks"],
        sleeps,
        login=login,
        download_follows=True,
        backoff=Backoff(budget_s=1000.0),
    )["anna.cooks"]

    assert first["status"] == "rate_limited"
    assert first["follows"] == {"followers": "partial"}
    assert "followers: 120 fetched so far" in first["message"]
    assert "follows_partial" in first["message"]
    anna = target / "anna.cooks"
    assert not (anna / "followers.json").exists()
    raw = {"source": "instaloader", "folder": str(target), "downloads": {"anna.cooks": first}}
    _, profiles, _, parsed = parse_download(raw)
    assert not profiles.set_index("profile").loc["anna.cooks", "followers_known"]
    assert parsed["profiles"]["anna.cooks"]["ignored_files"]["partial_download"] == 1
    assert parsed["profiles"]["anna.cooks"]["download"]["follows"]["followers"] == "partial"

    fake_instagram.rules = fake_instagram.rules[:1]  # Instagram lets the account through again
    starts.clear()
    again = _download(target, ["anna.cooks"], [], login=login, download_follows=True)["anna.cooks"]

    assert again["status"] == "ok"
    assert again["follows"] == {"followers": "known", "followees": "known"}
    assert json.loads((anna / "followers.json").read_text(encoding="utf-8")) == names
    assert starts == [0, *range(120, 300, 12)]
    assert not list(anna.glob("iterator_*")) and not list(anna.glob("*.part"))


def _follow_list_requests(fake_instagram: FakeInstagram) -> int:
    return sum(
        QUERY_FOLLOWERS in request or QUERY_FOLLOWEES in request
        for request in fake_instagram.requests
    )


def _age_follow_lists(target: Path, username: str, days: float) -> None:
    """Make the follow lists of ``username`` recorded as fetched ``days`` ago."""
    stamps = _LatestStamps(str(target / LATEST_STAMPS_FILE))
    for name in ("followers", "followees"):
        fetched, limit = stamps.get_follow_list(username, name)
        stamps.set_follow_list(username, name, fetched - timedelta(days=days), limit)


def test_a_recent_complete_follow_list_is_kept_not_fetched_again(tmp_path, fake_instagram, sleeps):
    """With ``follows_max_age_days``, a run after one that fetched the follow lists asks
    Instagram for none of their pages while they are younger than that: the lists stay on
    disk, known, with a note of when they were fetched. Once older, they are fetched again
    and follow who follows whom now."""
    target, login = tmp_path / "dl", _session_login(tmp_path)
    first = _download(
        target, ["anna.cooks"], sleeps, login=login, download_follows=True, follows_max_age_days=7
    )["anna.cooks"]
    assert first["follows"] == {"followers": "known", "followees": "known"}
    pages = _follow_list_requests(fake_instagram)
    assert pages > 0
    fake_instagram.accounts["anna.cooks"]["followers"].append("new.fan")

    fake_instagram.requests.clear()
    again = _download(
        target, ["anna.cooks"], sleeps, login=login, download_follows=True, follows_max_age_days=7
    )["anna.cooks"]

    assert again["status"] == "ok"
    assert again["follows"] == {"followers": "known", "followees": "known"}
    assert _follow_list_requests(fake_instagram) == 0
    assert re.search(r"followers: 3, kept from \d{4}-\d\d-\d\d \d\d:\d\d UTC", again["message"])
    assert "(ingestion.follows_max_age_days)" in again["message"]
    anna = target / "anna.cooks"
    assert json.loads((anna / "followers.json").read_text(encoding="utf-8")) == [
        "ben_hikes",
        "carla.private",
        "demo.fan",
    ]

    _age_follow_lists(target, "anna.cooks", days=7)
    fake_instagram.requests.clear()
    stale = _download(
        target, ["anna.cooks"], sleeps, login=login, download_follows=True, follows_max_age_days=7
    )["anna.cooks"]

    assert _follow_list_requests(fake_instagram) == pages
    assert "kept from" not in stale["message"]
    followers = json.loads((anna / "followers.json").read_text(encoding="utf-8"))
    assert followers == ["ben_hikes", "carla.private", "demo.fan", "new.fan"]


@pytest.mark.parametrize("max_age_days", [None, 0])
def test_follow_lists_are_fetched_at_every_run_without_a_max_age(
    tmp_path, fake_instagram, sleeps, max_age_days
):
    target, login = tmp_path / "dl", _session_login(tmp_path)
    pages = []
    for _ in range(2):
        fake_instagram.requests.clear()
        report = _download(
            target,
            ["anna.cooks"],
            sleeps,
            login=login,
            download_follows=True,
            follows_max_age_days=max_age_days,
        )
        assert report["anna.cooks"]["follows"] == {"followers": "known", "followees": "known"}
        pages.append(_follow_list_requests(fake_instagram))
    assert pages[0] > 0 and pages[1] == pages[0]


def test_a_follow_list_cut_by_a_smaller_max_follows_is_fetched_again(
    tmp_path, fake_instagram, sleeps
):
    """A follower list cut at 30 is kept for ``max_follows`` 30 or less, and fetched again
    when ``max_follows`` grows past what cut it; a list that was complete is kept whatever
    ``max_follows`` becomes (its followees: 2)."""
    fake_instagram.page_size = 12
    fans = [f"made_up_fan_{i}" for i in range(100)]
    fake_instagram.accounts["anna.cooks"]["followers"] = fans
    fake_instagram.accounts["anna.cooks"]["user"]["follower_count"] = len(fans)
    target, login = tmp_path / "dl", _session_login(tmp_path)

    def run(max_follows: int | None) -> dict:
        fake_instagram.requests.clear()
        return _download(
            target,
            ["anna.cooks"],
            sleeps,
            login=login,
            download_follows=True,
            max_follows=max_follows,
            follows_max_age_days=7,
        )["anna.cooks"]

    run(30)
    kept = run(20)
    assert _follow_list_requests(fake_instagram) == 0
    assert (
        "followers: 30 of the 100 the profile reports (ingestion.max_follows), kept from"
        in (kept["message"])
    )

    grown = run(60)
    followers = json.loads((target / "anna.cooks" / "followers.json").read_text("utf-8"))
    assert followers == fans[:60]
    assert sum(QUERY_FOLLOWERS in request for request in fake_instagram.requests) > 0
    assert not any(QUERY_FOLLOWEES in request for request in fake_instagram.requests)
    assert "followers: 60 of the 100" in grown["message"]
    assert "followees: 2, kept from" in grown["message"]

    run(None)
    followers = json.loads((target / "anna.cooks" / "followers.json").read_text("utf-8"))
    assert followers == fans
    run(None)
    assert _follow_list_requests(fake_instagram) == 0


def test_a_follow_list_being_resumed_is_not_kept_from_before(tmp_path, fake_instagram, sleeps):
    """A list whose newer fetch a 429 stopped partway (``followers.json.part``) is fetched on
    from where it stopped, not replaced by the older complete list on disk."""
    target, login = tmp_path / "dl", _session_login(tmp_path)
    _download(target, ["anna.cooks"], sleeps, login=login, download_follows=True)
    anna = target / "anna.cooks"
    (anna / "followers.json.part").write_text('["ben_hikes"]', encoding="utf-8")

    fake_instagram.requests.clear()
    report = _download(
        target, ["anna.cooks"], sleeps, login=login, download_follows=True, follows_max_age_days=7
    )["anna.cooks"]

    assert any(QUERY_FOLLOWERS in request for request in fake_instagram.requests)
    assert not any(QUERY_FOLLOWEES in request for request in fake_instagram.requests)
    assert "followers: 3" in report["message"] and "followees: 2, kept from" in report["message"]
    assert not (anna / "followers.json.part").exists()


def test_follow_list_records_move_with_a_renamed_profile(tmp_path):
    stamps = _LatestStamps(str(tmp_path / LATEST_STAMPS_FILE))
    fetched = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    stamps.set_follow_list("old.name", "followers", fetched, 2000)
    stamps.set_follow_list("old.name", "followees", fetched, None)

    stamps.rename_profile("old.name", "new.name")

    again = _LatestStamps(str(tmp_path / LATEST_STAMPS_FILE))
    assert again.get_follow_list("new.name", "followers") == (fetched, 2000)
    assert again.get_follow_list("new.name", "followees") == (fetched, None)
    assert again.get_follow_list("old.name", "followers") is None


def test_an_update_fetches_only_the_new_posts_with_a_pinned_old_post_on_top(
    tmp_path, fake_instagram, sleeps
):
    """``update="new_posts"`` (instaloader#1586, #2147: the first posts may be pinned, older
    than the rest): two new posts and an old pinned one on top; only the new ones are
    fetched, and the stamp moves to the newest."""
    _download(tmp_path, ["anna.cooks"], sleeps)
    assert (tmp_path / LATEST_STAMPS_FILE).is_file()
    fake_instagram.add_post("anna.cooks", "DemoAnnaA06", 1700100000)
    fake_instagram.add_post("anna.cooks", "DemoAnnaA07", 1700200000)
    fake_instagram.pin("anna.cooks", "DemoAnnaA04")
    fake_instagram.metadata_served.clear()
    fake_instagram.media_served.clear()

    report = _download(tmp_path, ["anna.cooks"], sleeps, update="new_posts")

    assert report["anna.cooks"]["status"] == "ok"
    assert (report["anna.cooks"]["new_posts"], report["anna.cooks"]["existing_posts"]) == (2, 0)
    assert set(fake_instagram.media_served) == {"DemoAnnaA06-1.jpg", "DemoAnnaA07-1.jpg"}
    # dates read: the pinned post, the two new ones and the first older one, where it stops
    assert set(fake_instagram.metadata_served) == {
        "DemoAnnaA04",
        "DemoAnnaA07",
        "DemoAnnaA06",
        "DemoAnnaA01",
    }
    assert len(_post_files(tmp_path / "anna.cooks")) == 7

    fake_instagram.metadata_served.clear()
    fake_instagram.media_served.clear()
    nothing_new = _download(tmp_path, ["anna.cooks"], sleeps, update="new_posts")
    assert nothing_new["anna.cooks"]["new_posts"] == 0
    assert not fake_instagram.media_served
    assert sum(fake_instagram.metadata_served.values()) == POSSIBLY_PINNED_POSTS + 1


def test_an_update_without_a_stamp_walks_the_profile_once_and_loses_nothing(
    tmp_path, fake_instagram, sleeps
):
    """A first download that stopped half-way wrote no stamp (only a finished walk does), nor
    did a download made by an earlier version or by the ``instaloader`` command: the update
    walks the whole profile once, so the posts the stopped run never reached are fetched,
    and the posts on disk are not downloaded again. The stamp does not depend on
    instaloader's version, unlike its resume files (instaloader#1231)."""
    fake_instagram.fail_media_after(2, requests.ConnectionError("connection reset"))
    first = _download(tmp_path, ["anna.cooks"], sleeps)
    done = first["anna.cooks"]["new_posts"]
    assert first["anna.cooks"]["status"] == "error" and 0 < done < 5
    assert not (tmp_path / LATEST_STAMPS_FILE).is_file()
    for resume_file in (tmp_path / "anna.cooks").glob("iterator_*.json.xz"):
        resume_file.unlink()  # as after an instaloader upgrade, which ignores them
    fake_instagram.rules.clear()
    served_before = set(fake_instagram.media_served)
    fake_instagram.media_served.clear()

    report = _download(tmp_path, ["anna.cooks"], sleeps, update="new_posts")

    assert report["anna.cooks"]["status"] == "ok"
    assert report["anna.cooks"]["new_posts"] == 5 - done
    assert report["anna.cooks"]["existing_posts"] == done
    # every media file once in all: none fetched twice, none missing
    served_now = set(fake_instagram.media_served)
    assert not served_before & served_now
    assert served_before | served_now == fake_instagram.media_urls("anna.cooks")
    assert len(_post_files(tmp_path / "anna.cooks")) == 5
    assert (tmp_path / LATEST_STAMPS_FILE).is_file()


def test_the_resume_state_is_kept_after_every_post(tmp_path, fake_instagram, sleeps):
    """instaloader writes its resume file only when an exception ends the walk; a killed run
    raises none, so the download saves it after every post, and removes it once the walk is
    complete."""
    seen = []
    real_download_post = instaloader.Instaloader.download_post

    def download_post(loader, post, target):
        seen.append(sorted(p.name for p in (tmp_path / "anna.cooks").glob("iterator_*")))
        return real_download_post(loader, post, target)

    instaloader.Instaloader.download_post = download_post
    try:
        _download(tmp_path, ["anna.cooks"], sleeps)
    finally:
        instaloader.Instaloader.download_post = real_download_post

    assert seen[0] == []  # nothing to resume before the first post
    assert all(len(names) == 1 and names[0].endswith(".json.xz") for names in seen[1:])
    assert not list((tmp_path / "anna.cooks").glob("iterator_*"))


def test_a_post_whose_metadata_is_withheld_is_counted_and_the_walk_goes_on(
    tmp_path, fake_instagram, sleeps
):
    """instaloader#2716, #1940: "Fetching Post metadata failed." for one post. Logged out,
    instaloader fetches a post's metadata while listing it; the post is counted as failed,
    the posts after it are downloaded, and a rerun fetches it once Instagram gives it."""
    fake_instagram.withhold_metadata("DemoAnnaA03")

    first = _download(tmp_path, ["anna.cooks", "ben_hikes"], sleeps)

    assert first["anna.cooks"]["status"] == "ok"
    assert (first["anna.cooks"]["new_posts"], first["anna.cooks"]["failed_posts"]) == (4, 1)
    assert "BadResponseException: 1" in first["anna.cooks"]["message"]
    assert len(_post_files(tmp_path / "anna.cooks")) == 4
    assert not list((tmp_path / "anna.cooks").glob("iterator_*"))
    assert first["ben_hikes"]["status"] == "ok"

    fake_instagram.rules.clear()
    again = _download(tmp_path, ["anna.cooks"], sleeps)

    assert (again["anna.cooks"]["new_posts"], again["anna.cooks"]["existing_posts"]) == (1, 4)
    assert "2023-11-12_14-40-00_UTC" in _post_files(tmp_path / "anna.cooks")


def test_a_post_whose_address_redirects_is_counted_and_the_walk_goes_on(
    tmp_path, fake_instagram, sleeps
):
    """instaloader#225: a post whose metadata comes under another shortcode. Logged out,
    instaloader 4.16 lists each post by its metadata and raises ``PostChangedException``
    there: the post is counted as failed, the others are downloaded, and the update stamp is
    that of the post below it (A04), so that the next update tries it again. Logged in, the
    listing carries the posts' metadata and no redirect is asked."""
    fake_instagram.redirect_metadata("DemoAnnaA03", "DemoAnnaZ99")

    report = _download(tmp_path / "out", ["anna.cooks"], sleeps)["anna.cooks"]

    assert (report["status"], report["new_posts"], report["failed_posts"]) == ("ok", 4, 1)
    assert "PostChangedException: 1" in report["message"]
    stamps = instaloader.LatestStamps(str(tmp_path / "out" / LATEST_STAMPS_FILE))
    assert stamps.get_last_post_timestamp("anna.cooks").timestamp() == 1699700000

    login = _session_login(tmp_path)
    report = _download(tmp_path / "in", ["anna.cooks"], sleeps, login=login)["anna.cooks"]
    assert (report["new_posts"], report["failed_posts"]) == (5, 0)


def test_an_update_tries_again_a_post_that_failed(tmp_path, fake_instagram, sleeps):
    """A post that failed (its image refused) is older than the newest post downloaded: the
    walk records no stamp, so that ``update="new_posts"`` goes down to it again."""

    fake_instagram.answer(403, b"URL signature expired", lambda text: "DemoAnnaA03-1.jpg" in text)
    first = _download(tmp_path, ["anna.cooks"], sleeps)
    assert (first["anna.cooks"]["new_posts"], first["anna.cooks"]["failed_posts"]) == (4, 1)
    fake_instagram.rules.clear()

    report = _download(tmp_path, ["anna.cooks"], sleeps, update="new_posts")

    assert report["anna.cooks"]["status"] == "ok"
    assert report["anna.cooks"]["failed_posts"] == 0
    assert fake_instagram.media_served["DemoAnnaA03-1.jpg"] == 1  # refused the first time
    assert len(_post_files(tmp_path / "anna.cooks")) == 5
    assert (tmp_path / LATEST_STAMPS_FILE).is_file()


@pytest.mark.parametrize("pinned", [["DemoAnnaA04"], ["DemoAnnaA05", "DemoAnnaA04"]])
def test_the_cap_keeps_the_newest_posts_below_old_pinned_ones(
    tmp_path, fake_instagram, sleeps, pinned
):
    """instaloader#1586, #2147: pinned posts come first, older than the rest. With
    ``max_posts_per_profile: 2`` the two newest posts are downloaded besides the pinned ones
    (which the parser then leaves out as over the cap), and a rerun fetches nothing."""
    for code in pinned:
        fake_instagram.pin("anna.cooks", code)

    report = _download(tmp_path, ["anna.cooks"], sleeps, max_posts_per_profile=2)

    assert report["anna.cooks"]["status"] == "ok"
    raw = {"source": "instaloader", "folder": str(tmp_path), "downloads": report}
    posts, *_ = parse_download(raw, max_posts_per_profile=2)
    assert sorted(posts["post_id"]) == ["DemoAnnaA01", "DemoAnnaA02"]
    assert report["anna.cooks"]["new_posts"] == 2 + len(pinned)
    assert "DemoAnnaA03-1.jpg" not in fake_instagram.media_served

    fake_instagram.media_served.clear()
    again = _download(tmp_path, ["anna.cooks"], sleeps, max_posts_per_profile=2)

    assert again["anna.cooks"]["new_posts"] == 0
    assert not fake_instagram.media_served


def _rename(fake_instagram: FakeInstagram, old: str, new: str) -> None:
    account = fake_instagram.accounts.pop(old)
    account["user"]["username"] = new
    for media in account["media"]:
        media["user"]["username"] = new
    fake_instagram.accounts[new] = account


def test_a_profile_listed_by_its_old_name_is_reported_in_its_renamed_folder(
    tmp_path, fake_instagram, sleeps
):
    """instaloader renames the folder of a renamed profile (found by its ``id`` file): the
    report's outcome names the new folder, so the parsed report has one entry for the
    person, and a "wait" answer after the rename retries the profile by its new name."""
    _download(tmp_path, ["anna.cooks"], sleeps, max_posts_per_profile=2)
    _rename(fake_instagram, "anna.cooks", "anna.bakes")
    # a "wait" answer to all of instaloader's own tries, after the folder was renamed
    fake_instagram.answer(401, WAIT_401, lambda request: "DemoAnnaA03" in request, times=3)
    waits: list[float] = []
    report = _download(tmp_path, ["anna.cooks"], waits, backoff=Backoff(first_wait_s=30.0))

    outcome = report["anna.cooks"]
    assert outcome["status"] == "ok"
    assert outcome["renamed_to"] == "anna.bakes"
    assert (outcome["new_posts"], outcome["existing_posts"]) == (3, 2)
    assert [w for w in waits if 15.0 <= w <= 30.0]  # backed off, then retried by the new name
    assert "list anna.bakes in ingestion.profiles" in outcome["message"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["anna.bakes"]
    raw = {"source": "instaloader", "folder": str(tmp_path), "downloads": report}
    posts, profiles, _, parsed = parse_download(raw)
    assert set(posts["profile"]) == {"anna.bakes"} and len(posts) == 5
    assert "anna.cooks" not in parsed["profiles"]
    assert parsed["profiles"]["anna.bakes"]["download"] == outcome


@pytest.mark.parametrize("before", [[], ["ben_hikes"]], ids=["alone", "after-a-new-profile"])
def test_a_profile_listed_by_its_new_name_goes_on_with_its_earlier_folder(
    tmp_path, fake_instagram, sleeps, before
):
    """The account was renamed and ``ingestion.profiles`` lists the new name: the folder of
    the old name (same ``id``) becomes the new name's, so no post is downloaded twice and
    the person is one profile, not two; also when a new profile downloaded before it in the
    same run has already looked for the earlier folders of its own account."""
    _download(tmp_path, ["anna.cooks"], sleeps)
    _rename(fake_instagram, "anna.cooks", "anna.bakes")
    fake_instagram.media_served.clear()

    report = _download(tmp_path, [*before, "anna.bakes"], sleeps, update="new_posts")

    assert report["anna.bakes"]["status"] == "ok"
    assert "renamed from anna.cooks" in report["anna.bakes"]["message"]
    assert set(fake_instagram.media_served) <= fake_instagram.media_urls("ben_hikes")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["anna.bakes", *before]
    assert len(_post_files(tmp_path / "anna.bakes")) == 5
    posts, profiles, _, parsed = parse_download(
        {"source": "instaloader", "folder": str(tmp_path), "downloads": report}
    )
    assert profiles["profile"].tolist() == ["anna.bakes", *before]
    assert (posts["profile"] == "anna.bakes").sum() == 5
    assert parsed["totals"].get("skipped", {}) == {}


def test_new_profiles_read_each_id_file_once_looking_for_earlier_names(
    tmp_path, fake_instagram, sleeps, monkeypatch
):
    """A profile new in the download looks for a folder of its account under an earlier
    name (by the ``id`` files): over many new profiles each folder's ``id`` is read about
    once, not once for every profile after it (a first download of n accounts read n²/2)."""
    names = [fake_instagram.add_account(f"person.{i:02d}") for i in range(20)]
    reads: Counter[str] = Counter()
    read_text = Path.read_text

    def counting_read_text(path: Path, *args, **kwargs) -> str:
        if path.name == "id":
            reads[path.parent.name] += 1
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting_read_text)
    report = _download(tmp_path, names, sleeps)

    assert {outcome["status"] for outcome in report.values()} == {"ok"}
    assert reads.total() <= len(names)


def test_a_profile_whose_posts_are_all_refused_stops_after_some_and_the_next_goes_on(
    tmp_path, fake_instagram, sleeps
):
    """instaloader#2716: "Fetching Post metadata failed." on every post. The profile stops
    after MAX_FAILED_POSTS_IN_A_ROW posts instead of asking for each of its posts, is an
    ``error`` that says so, and the next profile is downloaded."""
    for i in range(MAX_FAILED_POSTS_IN_A_ROW + 2):
        fake_instagram.add_post("anna.cooks", f"DemoAnnaX{i:02d}", 1700100000 + i * 1000)
    for media in fake_instagram.accounts["anna.cooks"]["media"]:
        fake_instagram.withhold_metadata(media["code"])

    report = _download(tmp_path, ["anna.cooks", "ben_hikes"], sleeps)

    anna = report["anna.cooks"]
    assert anna["status"] == "error"
    assert (anna["new_posts"], anna["failed_posts"]) == (0, MAX_FAILED_POSTS_IN_A_ROW)
    assert f"{MAX_FAILED_POSTS_IN_A_ROW} posts in a row failed" in anna["message"]
    assert "Fetching Post metadata failed" in anna["message"]
    anna_codes = {media["code"] for media in fake_instagram.accounts["anna.cooks"]["media"]}
    assert sum(fake_instagram.metadata_served[code] for code in anna_codes) == (
        MAX_FAILED_POSTS_IN_A_ROW
    )
    assert report["ben_hikes"]["status"] == "ok"
    assert report["ben_hikes"]["new_posts"] == 3


def test_a_login_wall_is_login_required_with_how_to_log_in_here(tmp_path, fake_instagram, sleeps):
    """Logged out, Instagram may redirect a profile page to its login page: the profile is
    ``login_required``, its message says how to log in with this project's credentials
    (instaloader's own names its command's options), and the next profile goes on."""

    def login_wall(request):
        if "instagram.com/anna.cooks/" in request.url:
            login = "https://www.instagram.com/accounts/login/?next=/anna.cooks/"
            return fake_instagram.respond(
                request, 302, b"", "text/html", headers={"Location": login}
            )
        return None

    fake_instagram.rules.append(login_wall)

    report = _download(tmp_path, ["anna.cooks", "ben_hikes"], sleeps)

    assert report["anna.cooks"]["status"] == "login_required"
    assert "conf/local/credentials.yml" in report["anna.cooks"]["message"]
    assert "instagram.session_file" in report["anna.cooks"]["message"]
    assert report["ben_hikes"]["status"] == "ok"


def _session_or_none(tmp_path: Path, logged_in: bool) -> InstagramLogin | None:
    return _session_login(tmp_path) if logged_in else None


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_a_post_whose_video_was_removed_keeps_its_thumbnail_caption_and_metadata(
    tmp_path, fake_instagram, sleeps, logged_in
):
    """instaloader#2161, #2061: a video removed from a post that is still there (Instagram
    gives its thumbnail, no video address). The post is saved without the video and counted
    in ``posts_missing_media``, not failed: it is complete, the walk's update stamp is
    written and a rerun does not ask for it again."""
    video = next(
        m for m in fake_instagram.accounts["anna.cooks"]["media"] if m["code"] == "DemoAnnaA03"
    )
    video["video_versions"] = None
    target = tmp_path / "dl"
    login = _session_or_none(tmp_path, logged_in)

    report = _download(target, ["anna.cooks"], sleeps, login=login)["anna.cooks"]

    assert (report["status"], report["new_posts"], report["failed_posts"]) == ("ok", 5, 0)
    assert report["posts_missing_media"] == 1
    assert "1 posts saved without a photo or video" in report["message"]
    assert _post_files(target / "anna.cooks")["2023-11-12_14-40-00_UTC"] == [
        ".jpg",
        ".json.xz",
        ".txt",
    ]
    assert (target / LATEST_STAMPS_FILE).is_file()
    raw = {"source": "instaloader", "folder": str(target), "downloads": {"anna.cooks": report}}
    posts = parse_download(raw)[0].set_index("post_id")
    assert posts.loc["DemoAnnaA03", "is_video"]
    assert posts.loc["DemoAnnaA03", "image_path"].endswith("2023-11-12_14-40-00_UTC.jpg")

    fake_instagram.metadata_served.clear()
    again = _download(target, ["anna.cooks"], sleeps, login=login, update="new_posts")
    assert again["anna.cooks"]["new_posts"] == 0
    assert "posts_missing_media" not in again["anna.cooks"]


def test_a_post_without_a_photo_is_saved_with_its_caption_and_counted(
    tmp_path, fake_instagram, sleeps
):
    """A post whose photo Instagram gives no address for (anonymous: no image candidates):
    its caption and metadata are saved and it is counted, the other posts go on."""
    fake_instagram.accounts["anna.cooks"]["media"][0]["image_versions2"] = {"candidates": []}

    report = _download(tmp_path, ["anna.cooks"], sleeps)["anna.cooks"]

    assert (report["status"], report["new_posts"], report["failed_posts"]) == ("ok", 5, 0)
    assert report["posts_missing_media"] == 1
    assert _post_files(tmp_path / "anna.cooks")["2023-11-14_22-13-20_UTC"] == [".json.xz", ".txt"]
    raw = {"source": "instaloader", "folder": str(tmp_path), "downloads": {"anna.cooks": report}}
    posts = parse_download(raw)[0].set_index("post_id")
    assert posts.loc["DemoAnnaA01", "caption"].startswith("Sunday sauce")
    assert posts.loc["DemoAnnaA01", "image_path"] is None


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_a_carousel_item_without_a_photo_leaves_the_rest_of_the_profile_whole(
    tmp_path, fake_instagram, sleeps, logged_in
):
    """A carousel item Instagram gives no image address for. Anonymous, instaloader asks
    for the address '' (a ConnectionException, which stopped the whole profile at this post
    on every run): the carousel's other items are saved and the post counted. Logged in,
    instaloader cannot even list the post (IndexError, which also stopped the profile): the
    post is counted as failed and the walk goes on."""
    carousel = fake_instagram.accounts["anna.cooks"]["media"][1]
    assert carousel["code"] == "DemoAnnaA02" and carousel["carousel_media"]
    carousel["carousel_media"][0]["image_versions2"] = {"candidates": []}
    target = tmp_path / "dl"

    report = _download(target, ["anna.cooks"], sleeps, login=_session_or_none(tmp_path, logged_in))
    outcome = report["anna.cooks"]

    assert outcome["status"] == "ok"
    files = _post_files(target / "anna.cooks")
    if logged_in:
        assert (outcome["new_posts"], outcome["failed_posts"]) == (4, 1)
        assert "IndexError: 1" in outcome["message"]
        assert "2023-11-13_18-26-40_UTC" not in files
    else:
        assert (outcome["new_posts"], outcome["posts_missing_media"]) == (5, 1)
        assert files["2023-11-13_18-26-40_UTC"] == [".json.xz", ".txt", "_2.jpg", "_2.mp4"]
    assert len(files) == (4 if logged_in else 5)


def test_instaloaders_own_waits_after_a_429_count_in_the_back_off_budget(
    tmp_path, fake_instagram, sleeps
):
    """On a 429, instaloader's rate controller waits (about 11 minutes here) before asking
    again, twice per query; those waits count in ``budget_s`` with the download's own, so a
    persisting 429 stops the download when the next wait would pass the budget instead of
    waiting hours past it (a budget of 3600 s waited about 3 hours). The posts before are
    kept and a later run resumes."""
    fake_instagram.answer_429(lambda request: "DemoAnnaA03" in request)
    backoff = Backoff(first_wait_s=30.0, budget_s=600.0)

    report = _download(tmp_path, ["anna.cooks", "ben_hikes"], sleeps, backoff=backoff)

    assert report["anna.cooks"]["status"] == "rate_limited"
    assert report["anna.cooks"]["new_posts"] == 2
    assert "back-off budget of 600 s" in report["anna.cooks"]["message"]
    assert report["ben_hikes"]["status"] == "not_attempted"
    assert "ingestion.backoff.budget_s" in report["ben_hikes"]["message"]
    assert sum(sleeps) <= 600.0

    fake_instagram.rules.clear()
    again = _download(tmp_path, ["anna.cooks", "ben_hikes"], [], backoff=backoff)
    assert (again["anna.cooks"]["status"], again["anna.cooks"]["new_posts"]) == ("ok", 3)
    assert again["ben_hikes"]["status"] == "ok"


def _older_posts(fake_instagram: FakeInstagram, username: str, count: int) -> list[str]:
    """Give ``username`` ``count`` more posts, older than its others; return their codes,
    newest first."""
    media = fake_instagram.accounts[username]["media"]
    codes = []
    for i in range(count):
        fake_instagram.add_post(username, f"DemoOld{i:03d}", media[-1]["taken_at"] - 86400)
        media.append(media.pop(0))  # add_post puts it on top; it is the oldest
        codes.append(media[-1]["code"])
    return codes


def test_an_update_walks_down_to_a_post_that_always_fails_not_the_whole_profile(
    tmp_path, fake_instagram, sleeps
):
    """A post whose metadata Instagram never gives (its date unknown): every update tries it
    again, walking down to the first post below it, not to the profile's oldest post (a walk
    with a failed post used to record no update stamp, so each update walked it all)."""
    older = _older_posts(fake_instagram, "anna.cooks", 20)
    fake_instagram.withhold_metadata("DemoAnnaA03")
    first = _download(tmp_path, ["anna.cooks"], sleeps)["anna.cooks"]
    assert (first["status"], first["new_posts"], first["failed_posts"]) == ("ok", 24, 1)
    assert "the next update tries again the failed posts" in first["message"]

    for day in range(2):
        fake_instagram.add_post("anna.cooks", f"DemoNew{day}", 1700100000 + day * 86400)
        fake_instagram.metadata_served.clear()
        update = _download(tmp_path, ["anna.cooks"], sleeps, update="new_posts")["anna.cooks"]

        assert (update["new_posts"], update["failed_posts"]) == (1, 1)
        # the new posts, A01, A02, the failed A03, and A04 below it, where the walk stops
        assert set(fake_instagram.metadata_served) == {
            *[f"DemoNew{d}" for d in range(day + 1)],
            *["DemoAnnaA01", "DemoAnnaA02", "DemoAnnaA03", "DemoAnnaA04"],
        }
        assert not set(fake_instagram.metadata_served) & set(older)

    fake_instagram.rules.clear()  # Instagram gives the post at last
    update = _download(tmp_path, ["anna.cooks"], sleeps, update="new_posts")["anna.cooks"]
    assert (update["new_posts"], update["failed_posts"]) == (1, 0)
    assert len(_post_files(tmp_path / "anna.cooks")) == 5 + 20 + 2
    fake_instagram.metadata_served.clear()
    update = _download(tmp_path, ["anna.cooks"], sleeps, update="new_posts")["anna.cooks"]
    assert sum(fake_instagram.metadata_served.values()) == POSSIBLY_PINNED_POSTS + 1


@pytest.mark.parametrize("refuse", ["metadata", "image"])
def test_an_update_tries_again_a_failed_pinned_post_older_than_its_stamp(
    tmp_path, fake_instagram, sleeps, refuse
):
    """A pinned post, older than the posts below it, fails (its metadata withheld: date
    unknown; or its image refused: date known); the walk's stamp is then newer than the post,
    and the next update still tries it: a possibly pinned post older than the stamp is passed
    over only when it is on disk."""
    _older_posts(fake_instagram, "anna.cooks", 10)
    old = fake_instagram.accounts["anna.cooks"]["media"][-1]["code"]
    fake_instagram.pin("anna.cooks", old)
    if refuse == "metadata":
        fake_instagram.withhold_metadata(old)
    else:
        fake_instagram.answer(403, b"URL signature expired", lambda text: f"{old}-1.jpg" in text)
    first = _download(tmp_path, ["anna.cooks"], sleeps)["anna.cooks"]
    assert (first["new_posts"], first["failed_posts"]) == (14, 1)
    assert (tmp_path / LATEST_STAMPS_FILE).is_file()
    fake_instagram.rules.clear()
    fake_instagram.metadata_served.clear()

    update = _download(tmp_path, ["anna.cooks"], sleeps, update="new_posts")["anna.cooks"]

    assert (update["new_posts"], update["failed_posts"]) == (1, 0)
    assert len(_post_files(tmp_path / "anna.cooks")) == 15
    assert sum(fake_instagram.metadata_served.values()) <= POSSIBLY_PINNED_POSTS + 2


def test_a_rerun_with_nothing_new_leaves_the_stamps_file_alone(tmp_path, fake_instagram, sleeps):
    """instaloader rewrites the whole ``latest-stamps.ini`` whenever a stamp is set: a stamp
    that does not change is not set, so a rerun (``update="all"``) of many profiles with no
    new post does not rewrite it once per profile."""
    _download(tmp_path, ["anna.cooks", "ben_hikes"], sleeps)
    stamps_file = tmp_path / LATEST_STAMPS_FILE
    written = (stamps_file.stat().st_ino, stamps_file.stat().st_mtime_ns)

    report = _download(tmp_path, ["anna.cooks", "ben_hikes"], sleeps)

    assert {outcome["status"] for outcome in report.values()} == {"ok"}
    assert (stamps_file.stat().st_ino, stamps_file.stat().st_mtime_ns) == written
