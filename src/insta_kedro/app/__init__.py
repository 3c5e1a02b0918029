"""The Streamlit web app over the catalog outputs (entry point: ``main.py``)."""
