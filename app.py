"""RiskLens dashboard entry point: `python app.py [streamlit options]` (what `make run` starts) or
`streamlit run app.py`. Run by Python, the file imports the library's modules first (risklens.preload) and then
serves itself, so the first visitor does not wait for those imports."""

import sys
from pathlib import Path

if __name__ == "__main__" and "streamlit" not in sys.modules:  # `python app.py`: preload, then serve this file
    from risklens.preload import preload

    print(f"RiskLens: the dashboard's modules imported in {preload():.1f} s", file=sys.stderr)
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", __file__, *sys.argv[1:]]
    sys.exit(streamlit_cli.main())

import streamlit as st

from risklens.ui import auth
from risklens.ui.auth import PageSpec
from risklens.ui.boot import bootstrap
from risklens.ui.guard import mark_entered, pending_return

# the favicon is a file in the repository: the app makes no outside request
st.set_page_config(page_title="RiskLens", page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
                   layout="wide")

PAGES = [
    PageSpec("home", "pages/home.py", "Home", ":material/home:"),
    PageSpec("data", "pages/data.py", "Data", ":material/table:"),
    PageSpec("model", "pages/model.py", "Model", ":material/model_training:"),
    PageSpec("explanations", "pages/explanations.py", "Cohort explanations", ":material/bar_chart:"),
    PageSpec("patients", "pages/patients.py", "Patients", ":material/patient_list:"),
    PageSpec("consistency", "pages/consistency.py", "Consistency", ":material/rule:"),
    PageSpec("report", "pages/report.py", "Report", ":material/download:"),
    PageSpec("audit", "pages/audit.py", "Audit trail", ":material/policy:"),
]

roles = auth.gate()  # login screen / refusal when [auth] is configured and the user cannot go on
page, by_key = auth.navigation(PAGES, roles)
mark_entered()
bootstrap()
asked = pending_return()  # a page URL opened before app.py had run in this session
if asked is not None and asked[0] != page.url_path:
    if asked[0] in by_key:
        st.switch_page(by_key[asked[0]], query_params=asked[1])
if page.url_path == "" and "patient" in st.query_params:
    # a bare ?patient=ID link opens that patient (with the cohort and model the link names)
    st.switch_page(by_key["patients"], query_params=st.query_params.to_dict())
st.sidebar.caption("RiskLens · explanations you can check")
page.run()
