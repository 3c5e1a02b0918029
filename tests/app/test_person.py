"""Person page: interests, persona, posting behaviour, representative posts with images."""

import json
import os
from pathlib import Path

import yaml
from streamlit.testing.v1 import AppTest

from insta_kedro.app.person import MAX_CARD_CAPTION, MAX_LISTED
from tests.app.conftest import bomb_png, page_app, texts

CATEGORIES = "conf/base/interests/categories.yml"


def test_person_page_without_outputs(app_project: Path, run_page):
    app = run_page("person")
    assert "`user_characterizations` has not been made yet" in texts(app)
    assert "kedro run --pipelines=clustering" in texts(app)


def test_person_page_shows_the_chosen_profile(project_with_outputs: Path, run_page):
    app = run_page("person")
    assert app.selectbox[0].options == [
        "anna.cooks (Anna Cooks)",
        "ben_hikes (Ben Hikes)",
        "carla.sings",
    ]
    shown = texts(app)
    assert "anna.cooks (Anna Cooks)" in [h.value for h in app.header]
    assert "random VGG16 weights" in shown
    assert "cluster 0" in [c.value for c in app.caption]
    assert "**outdoor foodies**" in [m.value for m in app.markdown]  # in full, never cut
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["posts"] == "4" and metrics["with caption"] == "75%"
    assert metrics["engagement rate"] == "—"
    assert len(app.image) == 3  # the three representative posts, read from data/
    assert "post 0 of anna.cooks #tag0 @friend" in shown
    assert "**Generated caption**" in shown and "a generated caption" in shown
    assert len(app.get("plotly_chart")) == 1

    app.selectbox[0].select("carla.sings")
    run_page("person", app)
    assert "No persona: this profile is noise to the clustering (cluster -1)." in texts(app)


def test_person_page_hides_images_outside_the_allowed_folders(
    project_with_outputs: Path, run_page, tmp_path: Path
):
    import json

    path = project_with_outputs / "data/08_reporting/user_characterizations.json"
    people = json.loads(path.read_text())
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(b"not served")
    for post in people["anna.cooks"]["representative_posts"]:
        post["image_path"] = str(outside)
    path.write_text(json.dumps(people))
    app = run_page("person", page_app("person"))
    assert len(app.image) == 0
    assert "(no image to show)" in texts(app)


def _rewrite_people(project: Path, change) -> None:
    import json

    path = project / "data/08_reporting/user_characterizations.json"
    people = json.loads(path.read_text())
    change(people)
    path.write_text(json.dumps(people))


def test_a_private_profile_without_posts_is_not_called_noise(project_with_outputs: Path, run_page):
    def no_posts(people):
        person = people["carla.sings"]
        person["is_private"] = True
        person["persona"] = {"cluster": -1, "probability": 0.0, "label": "no posts"}
        person["posting"] = {"posts": 0, "posts_per_week": 0.0, "hashtags_per_post": 0.0}

    _rewrite_people(project_with_outputs, no_posts)
    app = page_app("person")
    app.session_state["person_profile"] = "carla.sings"
    run_page("person", app)
    shown = texts(app)
    assert "no downloaded posts. It is a private profile." in shown
    assert "noise" not in shown
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["posts"] == "0" and metrics["posts per week"] == "—"
    assert not app.get("progress")


def test_a_level_too_small_to_cluster_says_so(project_with_outputs: Path, run_page):
    def not_clustered(people):
        people["carla.sings"]["persona"] = {
            "cluster": -1,
            "probability": 0.0,
            "label": "not clustered",
        }

    _rewrite_people(project_with_outputs, not_clustered)
    app = page_app("person")
    app.session_state["person_profile"] = "carla.sings"
    run_page("person", app)
    assert "too few profiles to cluster" in texts(app)


def test_person_page_shows_the_evidence_behind_each_interest(project_with_outputs: Path, run_page):
    top = None

    def add_evidence(people):
        nonlocal top
        anna = people["anna.cooks"]
        top = next(iter(anna["interests"]))
        anna["interest_evidence"] = {
            top: {
                "terms": {"pasta": 2.4, "🍝": 1.0},
                "hashtags": {"#homecooking": 3.0},
                "mentions": {"@pastagrannies": 1.2},
                "labels": {"carbonara": 0.8},
                "posts": 3,
                "profile_category": "Chef",
            }
        }

    _rewrite_people(project_with_outputs, add_evidence)
    shown = texts(run_page("person", page_app("person")))
    assert "Why these interests" in shown
    assert "terms: pasta (2.4), 🍝 (1.0)" in shown
    assert "hashtags: #homecooking (3.0)" in shown
    assert "tagged accounts: @pastagrannies (1.2)" in shown
    assert "photo labels: carbonara (0.8)" in shown
    assert "profile category: Chef" in shown
    assert "posts with any of these: 3" in shown
    descriptions = yaml.safe_load((project_with_outputs / CATEGORIES).read_text())
    assert descriptions[top] in shown  # conf/base/interests/categories.yml
    assert "Thin evidence" not in shown  # no interest_support: no warning


def test_person_page_warns_when_the_top_interest_rests_on_few_posts(
    project_with_outputs: Path, run_page
):
    def thin(people):
        anna = people["anna.cooks"]
        top = next(iter(anna["interests"]))
        anna["interest_support"] = {
            "interest": top,
            "posts": 1,
            "share": 0.25,
            "profile_category": False,
            "thin": True,
        }
        people["ben_hikes"]["interest_support"] = {**anna["interest_support"], "thin": False}

    _rewrite_people(project_with_outputs, thin)
    app = run_page("person")
    warnings = [w.value for w in app.warning]
    assert any("Thin evidence:" in w and "rests on 1 of 4 posts (25%)" in w for w in warnings)
    app.selectbox[0].select("ben_hikes").run()
    assert not any("Thin evidence" in w.value for w in app.warning)


def test_person_page_says_when_no_post_names_an_interest(project_with_outputs: Path, run_page):
    def nothing(people):
        people["anna.cooks"]["interests"] = {"other": 1.0}
        people["anna.cooks"]["interest_support"] = {
            "interest": "other",
            "posts": 0,
            "share": 0.0,
            "profile_category": False,
            "thin": True,
        }

    _rewrite_people(project_with_outputs, nothing)
    warnings = [w.value for w in run_page("person").warning]
    assert any(
        "No evidence: none of this person's 4 posts names an interest" in w for w in warnings
    )


BAD_PROFILES = {  # the value in the address → what the message says
    "../../etc/passwd": "`../../etc/passwd` in the address (`?profile=`) is a path, not a",
    "/etc/passwd": "is a path, not a profile name",
    "anna\x00.cooks": "`anna\\x00.cooks` in the address (`?profile=`) contains a control char",
    "x" * 5000: "(5,000 characters)` in the address (`?profile=`) is 5,000 characters long",
    "nobody.here": "`nobody.here` in the address (`?profile=`) is no profile of this run",
}


def test_the_address_selects_the_person(project_with_outputs: Path, run_page):
    app = page_app("person")
    app.query_params["profile"] = "ben_hikes"
    run_page("person", app)
    assert [h.value for h in app.header] == [r"ben\_hikes (Ben Hikes)"]  # shown as written
    assert not app.warning[1:]  # the random-weights warning only
    app.selectbox[0].select("carla.sings")
    run_page("person", app)
    assert [h.value for h in app.header] == ["carla.sings"]
    assert app.query_params["profile"] == "carla.sings"  # the address follows: a link to share


def test_a_bad_profile_in_the_address_says_no_such_profile(project_with_outputs: Path, run_page):
    app = page_app("person")
    for value, why in BAD_PROFILES.items():
        app.query_params["profile"] = value
        run_page("person", app)
        warnings = [w.value for w in app.warning if "No such profile" in w.value]
        assert len(warnings) == 1 and why in warnings[0], (value[:20], warnings)
        assert len(warnings[0]) < 400  # a long value is cut
        # the page still renders, on the first profile
        assert [h.value for h in app.header] == ["anna.cooks (Anna Cooks)"]
        assert len(app.image) == 3
    app.selectbox[0].select("ben_hikes")  # picking a profile replaces the bad address
    run_page("person", app)
    assert [h.value for h in app.header] == [r"ben\_hikes (Ben Hikes)"]  # shown as written
    assert "No such profile" not in texts(app)


def test_person_page_says_why_each_image_is_not_shown(
    project_with_outputs: Path, run_page, tmp_path: Path
):
    project = project_with_outputs
    folder = project / "data/01_raw/demo/anna.cooks"
    good = "data/01_raw/demo/anna.cooks/2024-01-01_12-00-00_UTC.jpg"
    outside = tmp_path / "outside.jpg"
    outside.write_bytes((project / good).read_bytes())
    (folder / "link.jpg").symlink_to(outside)
    (folder / "notes.jpg").write_text("not an image")
    (folder / "bomb.png").write_bytes(bomb_png(40_000, 40_000))
    reasons = {
        "data/../../outside.jpg": "outside the project's data/ folder",
        str(outside): "outside the project's data/ folder",
        "data/01_raw/demo/anna.cooks/link.jpg": "outside the project's data/ folder",
        "data/a\x00.jpg": "contains a NUL byte",
        "data/" + "x" * 5000 + ".jpg": "5,009 characters long, over 1,024",
        "data/" + "x" * 300 + ".jpg": "cannot be resolved (File name too long)",
        "/etc/passwd": "does not end in an image type",
        "data/01_raw/demo/anna.cooks/notes.jpg": "not a known image format",
        "data/01_raw/demo/anna.cooks/bomb.png": "too large to decode safely",
    }

    def bad_paths(people):
        posts = [{"post_id": f"P{i}", "image_path": p} for i, p in enumerate(reasons)]
        people["anna.cooks"]["representative_posts"] = [
            *posts,
            {"post_id": "NONE", "image_path": None},  # a caption-only download
            {"post_id": "GOOD", "image_path": good},
        ]

    _rewrite_people(project, bad_paths)
    app = run_page("person", page_app("person"))
    captions = [c.value for c in app.caption if c.value.startswith("(no image to show)")]
    for i, reason in enumerate(reasons.values()):
        assert any(c.startswith(f"(no image to show) P{i}: ") and reason in c for c in captions), (
            reason,
            captions,
        )
    assert "NONE: no photo in the download" in [c.value for c in app.caption]
    assert len(app.image) == 1  # the one inside data/ that is an image
    app.selectbox[0].select("ben_hikes")  # the page is still up
    run_page("person", app)
    assert len(app.image) == 3


def test_person_page_shows_a_persona_label_as_written_and_only_the_captions_there_are(
    project_with_outputs: Path, run_page
):
    def caption_only(people):
        anna = people["anna.cooks"]
        anna["persona"]["label"] = "travel · #new_york · bridge"
        for post in anna["representative_posts"]:
            post["image_path"] = None
            post["generated_caption"] = None

    _rewrite_people(project_with_outputs, caption_only)
    app = run_page("person", page_app("person"))
    assert "**travel · #new\\_york · bridge**" in [m.value for m in app.markdown]
    assert "**Generated caption**" not in [m.value for m in app.markdown]
    assert sum(c.value.endswith(": no photo in the download") for c in app.caption) == 3
    assert "(no image to show)" not in texts(app)


def test_a_profile_category_with_markdown_is_shown_as_written(project_with_outputs: Path, run_page):
    """The profile's category is Instagram's text from the download: a markdown image in it
    would make every viewer's browser fetch its address (a tracking pixel), a link would be
    live. Both are shown as written."""
    category = "![pixel](https://tracker.example/p.png) [Chef](https://evil.example/)"

    def add_evidence(people):
        anna = people["anna.cooks"]
        top = next(iter(anna["interests"]))
        anna["interest_evidence"] = {top: {"posts": 2, "profile_category": category}}

    _rewrite_people(project_with_outputs, add_evidence)
    shown = texts(run_page("person", page_app("person")))
    assert (
        "profile category: !\\[pixel\\](https://tracker.example/p.png)"
        " \\[Chef\\](https://evil.example/)"
    ) in shown


def test_a_name_with_markdown_signs_is_shown_as_written(project_with_outputs: Path, run_page):
    path = project_with_outputs / "data/08_reporting/user_characterizations.json"
    people = json.loads(path.read_text())
    people["anna.cooks"]["full_name"] = "__Anna__ *Cooks*"
    path.write_text(json.dumps(people))
    app = run_page("person", page_app("person"))
    assert app.header[0].value == "anna.cooks (\\_\\_Anna\\_\\_ \\*Cooks\\*)"


def test_the_note_of_a_single_post_without_evidence_speaks_of_one_post():
    from insta_kedro.app.person import support_note

    person = {"interest_support": {"thin": True, "posts": 0}, "posting": {"posts": 1}}
    assert support_note(person) == (
        "No evidence: this person's one post names no interest that the lexicon, the photo "
        "labels or the profile know."
    )


def two_pages_app() -> AppTest:
    """The Person and Circle pages in one session, the shown one picked by ``_page`` (as the
    sidebar does: the address loses its ``?profile=`` when the page changes)."""
    return AppTest.from_string(
        "import streamlit as st\n"
        "from insta_kedro.app import circle, person\n"
        "(circle if st.session_state.get('_page') == 'circle' else person).render()\n",
        default_timeout=120,
    )


def test_a_profile_opened_by_its_link_carries_over_to_the_other_page(
    project_with_outputs: Path, run_page
):
    app = two_pages_app()
    app.query_params["profile"] = "ben_hikes"
    run_page("person", app)
    assert [h.value for h in app.header] == [r"ben\_hikes (Ben Hikes)"]

    app.query_params.clear()  # the sidebar opens the other page without the parameter
    app.session_state["_page"] = "circle"
    run_page("circle", app)
    assert [h.value for h in app.header] == [r"ben\_hikes (Ben Hikes)"]
    assert app.query_params["profile"] == "ben_hikes"  # the address names the shown profile


def test_the_address_names_the_shown_profile(project_with_outputs: Path, run_page):
    app = page_app("person")
    app.query_params["profile"] = "nobody.here"
    run_page("person", app)
    assert [h.value for h in app.header] == ["anna.cooks (Anna Cooks)"]
    assert app.query_params["profile"] == "anna.cooks"  # not the name it could not show


def test_the_address_finds_a_profile_written_as_instagram_allows(
    project_with_outputs: Path, run_page
):
    app = page_app("person")
    for value in ("Ben_Hikes", "@ben_hikes", " BEN_HIKES "):  # names ignore case; a handle
        app.query_params["profile"] = value
        run_page("person", app)
        assert [h.value for h in app.header] == [r"ben\_hikes (Ben Hikes)"], value
        assert "No such profile" not in texts(app)
        assert app.query_params["profile"] == "ben_hikes"


def test_an_empty_profile_in_the_address_is_no_profile(project_with_outputs: Path, run_page):
    app = page_app("person")
    app.query_params["profile"] = ""
    run_page("person", app)
    assert "No such profile" not in texts(app)
    assert [h.value for h in app.header] == ["anna.cooks (Anna Cooks)"]


def test_a_long_caption_is_cut_with_the_whole_of_it_one_click_away(
    project_with_outputs: Path, run_page
):
    long_caption = "Aaaaand guess who's too big to fit 🙋🏾‍♂️\n\n" + "a chase sequence. " * 120

    def long(people):
        people["anna.cooks"]["representative_posts"][0]["caption"] = long_caption

    _rewrite_people(project_with_outputs, long)
    app = run_page("person", page_app("person"))
    shown = [t.value for t in app.text]
    card = shown[0]  # the card shows the caption's start
    assert card.startswith("Aaaaand guess who's too big to fit 🙋🏾‍♂️") and card.endswith("…")
    assert len(card) <= MAX_CARD_CAPTION
    expanders = [e.label for e in app.expander]
    assert expanders == [f"Whole caption ({len(long_caption):,} characters)"]
    assert long_caption.strip() in shown  # inside the expander (st.text strips)
    assert "post 1 of anna.cooks" in "\n".join(shown)  # short captions shown whole


MANY = 3_000  # people of a large run: the picker must not send them all on every rerun


def add_people(people: dict) -> None:
    """``MANY`` more people, each a copy of carla.sings named ``fan0000``, ``fan0001``…"""
    for i in range(MANY):
        people[f"fan{i:04d}"] = {**people["carla.sings"], "full_name": f"Fan Number {i}"}


def page_bytes(app: AppTest) -> int:
    """The bytes of the messages of every element the page wrote (what goes to the browser)."""
    from streamlit.testing.v1.element_tree import Block

    return sum(node.proto.ByteSize() for node in app._tree if not isinstance(node, Block))


def test_a_run_of_thousands_of_people_sends_a_short_picker(project_with_outputs: Path, run_page):
    few = page_bytes(run_page("person"))
    _rewrite_people(project_with_outputs, add_people)
    app = run_page("person", page_app("person"))
    assert [h.value for h in app.header] == ["anna.cooks (Anna Cooks)"]
    assert page_bytes(app) - few < 4_000  # a few names more, not 3,000 (about 90 kB)
    assert len(app.selectbox[0].options) == MAX_LISTED
    assert f"{MAX_LISTED} of {MANY + 3:,} profiles listed" in texts(app)
    app.selectbox[0].select("fan0002")  # a listed profile is picked as before
    run_page("person", app)
    assert [h.value for h in app.header] == ["fan0002 (Fan Number 2)"]
    assert app.query_params["profile"] == "fan0002"


def test_the_search_box_finds_any_profile(project_with_outputs: Path, run_page):
    _rewrite_people(project_with_outputs, add_people)
    app = run_page("person", page_app("person"))
    app.text_input[0].input("FAN29")  # case ignored; beyond the listed ones
    run_page("person", app)
    options = app.selectbox[0].options
    assert options[0] == "anna.cooks (Anna Cooks)"  # the page still shows its profile
    assert options[1:] == [f"fan{i} (Fan Number {i})" for i in range(2900, 2950)]
    assert f"{MAX_LISTED} of 100 profiles listed" in texts(app)
    assert [h.value for h in app.header] == ["anna.cooks (Anna Cooks)"]
    app.selectbox[0].select("fan2917")
    run_page("person", app)
    assert [h.value for h in app.header] == ["fan2917 (Fan Number 2917)"]
    assert app.query_params["profile"] == "fan2917"

    app.text_input[0].input("@number 2999")  # a full name; spaces around and a leading @
    run_page("person", app)
    assert app.selectbox[0].options == ["fan2917 (Fan Number 2917)", "fan2999 (Fan Number 2999)"]
    app.text_input[0].input("nobody")
    run_page("person", app)
    assert "No profile's name or full name contains `nobody`." in texts(app)
    assert app.selectbox[0].options == ["fan2917 (Fan Number 2917)"]


def test_the_search_lists_names_that_start_with_it_first():
    from insta_kedro.app.person import profile_matches

    people = {
        "ann": {},
        "joanna": {"full_name": "Jo"},
        "anna.cooks": {"full_name": "Anna Cooks"},
        "bob": {"full_name": "Bob Annan"},
        "carl": {"full_name": None},
    }
    profiles = sorted(people)
    assert profile_matches(" @ANN", people, profiles) == ["ann", "anna.cooks", "bob", "joanna"]
    assert profile_matches("", people, profiles) == profiles


def test_a_profile_found_by_the_search_carries_over_both_ways(project_with_outputs: Path, run_page):
    _rewrite_people(project_with_outputs, add_people)
    app = two_pages_app()
    run_page("person", app)
    app.text_input[0].input("fan2917")
    run_page("person", app)
    app.selectbox[0].select("fan2917")  # one the picker lists only when searched for
    run_page("person", app)

    app.query_params.clear()  # the sidebar opens the other page without the parameter
    app.session_state["_page"] = "circle"
    run_page("circle", app)
    assert [h.value for h in app.header] == ["fan2917 (Fan Number 2917)"]
    app.selectbox[0].select("ben_hikes")
    run_page("circle", app)

    app.query_params.clear()
    app.session_state["_page"] = "person"
    run_page("person", app)
    assert [h.value for h in app.header] == [r"ben\_hikes (Ben Hikes)"]  # not fan2917 again


def test_the_people_of_a_large_run_are_held_in_about_their_file_s_size(
    project_with_outputs: Path, run_page
):
    import tracemalloc

    # the Circle page reads the people as the Person page does, and shows no photo (whose
    # decoding would be measured too)
    app = run_page("circle")  # the page's imports and first outputs, before measuring

    def many_with_evidence(people: dict) -> None:
        terms = {f"term{i:03d}": 1.5 for i in range(300)}  # some kB of evidence each
        for i in range(MANY):
            people[f"fan{i:04d}"] = {
                **people["carla.sings"],
                "full_name": f"Fan Number {i}",
                "interest_evidence": {"food": {"terms": terms, "posts": 4}},
            }

    _rewrite_people(project_with_outputs, many_with_evidence)
    path = project_with_outputs / "data/08_reporting/user_characterizations.json"
    later = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(later, later))  # a new kedro run
    tracemalloc.start()
    try:
        run_page("circle", app)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [h.value for h in app.header] == ["anna.cooks (Anna Cooks)"]
    assert f"{MAX_LISTED} of {MANY + 3:,} profiles listed" in texts(app)
    # the file's text and a little more; Python's json made several times the file's size
    assert peak < 1.5 * path.stat().st_size, (peak, path.stat().st_size)
