"""Project settings: conf/local overrides single parameters and keeps the rest of conf/base."""

from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project


def test_local_parameters_override_single_keys_of_base(kedro_project):
    # the README's recipe for the live source: only `ingestion.profiles` in conf/local
    (kedro_project / "conf/local/parameters_ingestion.yml").write_text(
        "ingestion:\n  profiles: [natgeo]\n", encoding="utf-8"
    )
    bootstrap_project(kedro_project)
    with KedroSession.create(project_path=kedro_project) as session:
        ingestion = session.load_context().params["ingestion"]  # an IngestionParams

    assert ingestion.profiles == ["natgeo"]
    assert ingestion.source == "demo"
    assert ingestion.instagram_folder == "data/01_raw/instagram"
    assert ingestion.demo.seed == 42
