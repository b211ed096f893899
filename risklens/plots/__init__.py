"""Plotly figure builders: data in, ``go.Figure`` out; nothing is shown here.

Every figure has a title, axis titles with units or the explanation's output space, and readable
dictionary labels. Colours are explicit, colour-blind-safe (Okabe-Ito) and readable on light and
dark backgrounds; no template is forced, so the dashboard's theme applies.

Modules: ``style`` (colours, layout), ``model`` (risk and model quality), ``cohort`` (cohort-level
explanations, data summaries), ``patient`` (one patient), ``evaluation`` (agreement, curves, Rashomon).
"""

from risklens.plots.cohort import (
                                   beeswarm_figure,
                                   count_bar,
                                   dependence_figure,
                                   importance_bar,
                                   missingness_figure,
                                   pdp_ice_figure,
                                   subgroup_importance_figure,
)
from risklens.plots.evaluation import (
                                   agreement_heatmap,
                                   curves_figure,
                                   faithfulness_figure,
                                   noise_floor_figure,
                                   rashomon_figure,
                                   sanity_figure,
                                   spread_figure,
                                   subgroup_figure,
                                   value_vs_chance_figure,
)
from risklens.plots.model import (
                                   calibration_figure,
                                   confusion_figure,
                                   pr_figure,
                                   risk_histogram,
                                   roc_figure,
                                   threshold_figure,
)
from risklens.plots.patient import (patient_bar, rank_comparison_figure, vitals_figure, vitals_note,
                                   waterfall_figure)
from risklens.plots.style import (
                                   ACCENT,
                                   AGREE_SCALE,
                                   LOWER,
                                   NEUTRAL,
                                   PALETTE,
                                   RAISE,
                                   VALUE_SCALE,
                                   space_label,
)

__all__ = [
    "ACCENT", "AGREE_SCALE", "LOWER", "NEUTRAL", "PALETTE", "RAISE", "VALUE_SCALE",
    "space_label", "risk_histogram", "roc_figure", "pr_figure", "calibration_figure", "confusion_figure",
    "importance_bar", "subgroup_importance_figure", "beeswarm_figure", "dependence_figure", "patient_bar",
    "rank_comparison_figure", "vitals_figure", "vitals_note", "waterfall_figure", "pdp_ice_figure", "agreement_heatmap", "curves_figure",
    "faithfulness_figure", "noise_floor_figure", "spread_figure", "sanity_figure", "subgroup_figure",
    "value_vs_chance_figure",
    "missingness_figure", "count_bar", "threshold_figure", "rashomon_figure",
]
