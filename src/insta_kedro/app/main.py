"""The web app: ``streamlit run src/insta_kedro/app/main.py`` in the project folder (``make app``).

Every page reads the outputs of the last ``kedro run`` through the Kedro catalog and never
recomputes them ("Try a photo" runs the trained models on the uploaded image only).
"""

import os

import streamlit as st

from insta_kedro.app import caption_model, circle, clusters, overview, person, try_photo
from insta_kedro.app.components import freeze_objects_alive

# A tracking server that does not answer is said so within seconds, not after MLflow's minutes
# of retries (a user's own settings of these variables are kept). Set in the app's process
# only, where the pages read the MLflow store.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")

PAGES = [
    st.Page(overview.render, title="Overview", icon=":material/dashboard:", default=True),
    st.Page(person.render, title="Person", icon=":material/person:", url_path="person"),
    st.Page(circle.render, title="Circle", icon=":material/group:", url_path="circle"),
    st.Page(clusters.render, title="Clusters", icon=":material/scatter_plot:", url_path="clusters"),
    st.Page(
        caption_model.render,
        title="Caption model",
        icon=":material/edit_note:",
        url_path="caption_model",
    ),
    st.Page(
        try_photo.render, title="Try a photo", icon=":material/photo_camera:", url_path="try_photo"
    ),
]

freeze_objects_alive("first run")  # the imported modules' objects: pandas', Streamlit's, ...
st.set_page_config(page_title="insta_kedro", page_icon=":material/photo_library:", layout="wide")
st.navigation(PAGES).run()
