"""A ``--params`` section that no parameters file declares stops the run, naming it."""

import pytest
from kedro.framework.session import KedroSession

from insta_kedro.kedro_ext.runtime_params import (
    DottedParameterError,
    UnknownParameterError,
    dotted_keys_message,
    unknown_sections,
    unknown_sections_message,
)

SECTIONS = ["caption_model", "clustering", "ingestion"]


def test_only_top_level_keys_outside_the_configuration_are_unknown():
    runtime = {"caption_model": {"epochz": 2}, "clustring": {}, "epochs": 2}
    assert unknown_sections(runtime, SECTIONS) == ["clustring", "epochs"]
    assert unknown_sections({}, SECTIONS) == []


def test_dotted_keys_are_named_with_their_nested_form():
    message = dotted_keys_message({"ingestion.demo.n_profiles": 2, "clustering": {}})
    assert "'ingestion.demo.n_profiles'" in message
    assert message.endswith("Nest them instead: {'ingestion': {'demo': {'n_profiles': 2}}}.")
    assert dotted_keys_message({"ingestion": {"demo": {"n_profiles": 2}}}) is None


def test_the_message_names_each_key_its_nearest_section_and_every_section():
    message = unknown_sections_message(["caption_modle", "epochs"], SECTIONS)
    assert message.startswith(
        "--params sets 'caption_modle' (did you mean 'caption_model'?), 'epochs', which no"
        " parameters file declares, so no node would read them."
    )
    assert "The parameters are: caption_model, clustering, ingestion" in message


def _context(project, params, env=None):
    with KedroSession.create(project_path=project, env=env, runtime_params=params) as session:
        return session.load_context()


def test_a_misspelt_section_stops_the_session_before_any_run(run_kedro, kedro_project):
    """Without the check Kedro adds ``caption_modle`` and trains the configured 30 epochs."""
    with pytest.raises(UnknownParameterError, match=r"'caption_modle' \(did you mean 'caption_m"):
        _context(kedro_project, {"caption_modle": {"epochs": 2}})
    with pytest.raises(UnknownParameterError, match=r"'caption_modle'"):
        run_kedro(["ingestion"], {"caption_modle": {"epochs": 2}})
    assert not (kedro_project / "data" / "02_intermediate" / "posts.parquet").exists()


def test_a_dotted_key_stops_the_session_as_no_node_would_read_it(run_kedro, kedro_project):
    """Kedro adds ``ingestion.demo.n_profiles`` as one top-level key: the demo keeps 12."""
    with pytest.raises(DottedParameterError, match=r"\{'ingestion': \{'demo': \{'n_prof"):
        _context(kedro_project, {"ingestion.demo.n_profiles": 2})
    nested = _context(kedro_project, {"ingestion": {"demo": {"n_profiles": 2}}})
    assert nested.params["ingestion"].demo.n_profiles == 2


def test_sections_of_the_files_of_the_environment_are_known(run_kedro, kedro_project):
    (kedro_project / "conf" / "local" / "parameters_mine.yml").write_text("mine:\n  a: 1\n")
    context = _context(kedro_project, {"mine": {"a": 2}, "caption_model": {"epochs": 2}})
    assert context.params["mine"] == {"a": 2}
    with pytest.raises(UnknownParameterError, match=r"'mine'"):
        _context(kedro_project, {"mine": {"a": 2}}, env="base")  # conf/local is not read
