"""user_characterizations as the app reads them: every person as written, decoded when asked."""

import json
import math
from pathlib import Path

import pytest

from insta_kedro.app.catalog_reader import CatalogReader, OutputMissingError
from insta_kedro.app.characterizations import Characterizations, read_characterizations

PATH = "data/08_reporting/user_characterizations.json"


def test_every_person_reads_as_python_s_json_reads_it(project_with_outputs: Path):
    written = json.loads((project_with_outputs / PATH).read_text())
    people = read_characterizations(CatalogReader(project_with_outputs))
    assert list(people) == list(written) and len(people) == 3
    assert {name: people[name] for name in people} == written
    assert people.summaries["anna.cooks"] == {
        "full_name": "Anna Cooks",
        "posting": written["anna.cooks"]["posting"],
    }
    assert people.summaries["carla.sings"]["full_name"] is None
    with pytest.raises(KeyError):
        people["nobody"]


def test_a_person_without_the_summary_s_fields_has_none_of_them():
    people = Characterizations.from_json(b'{"ann": {"interests": {"food": 1.0}}}')
    assert people.summaries == {"ann": {"full_name": None, "posting": None}}
    assert people["ann"] == {"interests": {"food": 1.0}}


def test_a_file_with_nan_is_read_as_python_s_json_reads_it(project_with_outputs: Path):
    path = project_with_outputs / PATH
    written = json.loads(path.read_text())
    written["ben_hikes"]["posting"]["engagement_rate"] = float("nan")
    path.write_text(json.dumps(written))  # NaN: no JSON, but Python's json writes and reads it
    people = read_characterizations(CatalogReader(project_with_outputs))
    assert math.isnan(people["ben_hikes"]["posting"]["engagement_rate"])
    assert people.summaries["anna.cooks"]["full_name"] == "Anna Cooks"


@pytest.mark.parametrize(
    "text", ['["anna.cooks"]', '{"anna.cooks": 3}', '{"anna.cooks": {"full_name": "A"'], ids=str
)
def test_a_file_of_no_people_says_it_cannot_be_read(project_with_outputs: Path, text: str):
    (project_with_outputs / PATH).write_text(text)
    with pytest.raises(OutputMissingError, match=r"cannot be read .*--pipelines=clustering"):
        read_characterizations(CatalogReader(project_with_outputs))


def test_no_file_says_which_run_makes_it(app_project: Path):
    with pytest.raises(OutputMissingError, match=r"has not been made yet"):
        read_characterizations(CatalogReader(app_project))
