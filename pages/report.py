"""Report: placeholder until the evaluation modules land."""

import streamlit as st

from risklens import ui


def body() -> None:
    st.title("Report")
    st.info("Coming soon.")


ui.run_page(body)
