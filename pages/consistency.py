"""Consistency: placeholder until the evaluation modules land."""

import streamlit as st

from risklens import ui


def body() -> None:
    st.title("Consistency")
    st.info("Coming soon.")


ui.run_page(body)
