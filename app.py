"""RiskLens dashboard entry point: `streamlit run app.py`."""

import streamlit as st

from risklens.ui.boot import bootstrap

st.set_page_config(page_title="RiskLens", page_icon=":material/monitor_heart:", layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/data.py", title="Data", icon=":material/table:", url_path="data"),
    st.Page("app_pages/model.py", title="Model", icon=":material/model_training:", url_path="model"),
    st.Page("app_pages/explanations.py", title="Cohort explanations", icon=":material/bar_chart:", url_path="explanations"),
    st.Page("app_pages/patients.py", title="Patients", icon=":material/patient_list:", url_path="patients"),
    st.Page("app_pages/consistency.py", title="Consistency", icon=":material/rule:", url_path="consistency"),
    st.Page("app_pages/report.py", title="Report", icon=":material/download:", url_path="report"),
]

page = st.navigation(PAGES)
bootstrap()
if page.url_path == "" and "patient" in st.query_params:
    # a bare ?patient=ID link opens that patient
    st.switch_page(PAGES[4], query_params={"patient": st.query_params["patient"]})
st.sidebar.caption("RiskLens · explanations you can check")
page.run()
