"""Person page: interests, persona, posting behaviour, representative posts with images."""

from pathlib import Path

import yaml

from tests.app.conftest import page_app, texts

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
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["cluster 0"] == "outdoor foodies"
    assert metrics["posts"] == "4" and metrics["with caption"] == "75%"
    assert metrics["engagement rate"] == "—"
    assert len(app.image) == 3  # the three representative posts, read from data/
    assert "post 0 of anna.cooks #tag0 @friend" in shown
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
    assert "photo labels: carbonara (0.8)" in shown
    assert "profile category: Chef" in shown
    assert "posts with a lexicon term: 3" in shown
    descriptions = yaml.safe_load((project_with_outputs / CATEGORIES).read_text())
    assert descriptions[top] in shown  # conf/base/interests/categories.yml
