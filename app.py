"""RiskLens dashboard entry point: `streamlit run app.py`."""

import streamlit as st

from risklens.ui.boot import bootstrap
from risklens.ui.guard import mark_entered, pending_return

st.set_page_config(page_title="RiskLens", page_icon=":material/monitor_heart:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/table:", url_path="data"),
    st.Page("pages/model.py", title="Model", icon=":material/model_training:", url_path="model"),
    st.Page("pages/explanations.py", title="Cohort explanations", icon=":material/bar_chart:", url_path="explanations"),
    st.Page("pages/patients.py", title="Patients", icon=":material/patient_list:", url_path="patients"),
    st.Page("pages/consistency.py", title="Consistency", icon=":material/rule:", url_path="consistency"),
    st.Page("pages/report.py", title="Report", icon=":material/download:", url_path="report"),
]

page = st.navigation(PAGES)
mark_entered()
bootstrap()
asked = pending_return()  # a page URL opened before app.py had run in this session
if asked is not None and asked[0] != page.url_path:
    target = next((p for p in PAGES if p.url_path == asked[0]), None)
    if target is not None:
        st.switch_page(target, query_params=asked[1])
if page.url_path == "" and "patient" in st.query_params:
    # a bare ?patient=ID link opens that patient
    st.switch_page(PAGES[4], query_params={"patient": st.query_params["patient"]})
st.sidebar.caption("RiskLens · explanations you can check")
page.run()
