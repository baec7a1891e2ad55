"""Give the shipped profiles every parameter the rule engine reads.

A database migrated before the rule engine has the shipped profiles without
the parameters added since (monitoring period of the CDC 2020 profile, the
shorter quarantine options as separate values, release and reminder rules).
Missing parameters are added with the shipped values; values already there
are kept, so an administrator's edits survive. Two shipped values are
corrected: the CDC 2020 profile's list of quarantine options becomes the
``reduced_quarantine_*`` values, and Sara Alert never required the negative
tests of its 2021 rules to be 24 hours apart.
"""

from django.db import migrations

COVID_COMMON = {
    "household_ongoing_counts_from_isolation_end": True,
    "infectious_days_after_onset": None,
    "reduced_quarantine_days": 10,
    "reduced_quarantine_report_until_day": 13,
    "reduced_quarantine_tested_days": 7,
    "reduced_quarantine_tested_report_until_day": 9,
    "reduced_quarantine_test_from_day": 5,
    "reduced_quarantine_test_classes": ["pcr", "antigen"],
    "recovery_negative_tests_required": 2,
    "close_after_extended_isolation_days": 2,
    "reminder_interval_hours": 12,
    "reminder_days_after_monitoring": 1,
    "close_inactive_days": 30,
}
OTHER_COMMON = {
    "household_ongoing_counts_from_isolation_end": True,
    "reduced_quarantine_days": None,
    "reduced_quarantine_report_until_day": None,
    "reduced_quarantine_tested_days": None,
    "reduced_quarantine_tested_report_until_day": None,
    "reduced_quarantine_test_from_day": None,
    "reduced_quarantine_test_classes": None,
    "isolation_fever_free_hours": None,
    "recovery_negative_tests_required": None,
    "recovery_negative_tests_hours_apart": None,
    "close_after_extended_isolation_days": 2,
    "reminder_interval_hours": 12,
    "reminder_days_after_monitoring": 1,
    "close_inactive_days": 30,
    "infectious_days_before_specimen": 4,
    "isolation_days_after_specimen_asymptomatic": None,
}
ADDED = {
    "covid-19-cdc-2020": {
        **COVID_COMMON,
        "monitoring_period_days": 14,
        "recovery_negative_tests_hours_apart": 24,
    },
    "covid-19-saraalert-2021": {**COVID_COMMON, "recovery_negative_tests_hours_apart": None},
    "covid-19-saraalert-2022": {**COVID_COMMON, "recovery_negative_tests_hours_apart": None},
    "measles-cdc": OTHER_COMMON,
    "mpox-cdc-2022": {
        **OTHER_COMMON,
        "infectious_days_after_onset": None,
        "isolation_days_after_onset": None,
    },
}


def forwards(apps, schema_editor):
    DiseaseProfile = apps.get_model("diseases", "DiseaseProfile")
    for profile in DiseaseProfile.objects.filter(key__in=ADDED):
        params = dict(profile.parameters or {})
        params.pop("quarantine_options", None)
        if profile.key == "covid-19-saraalert-2021" and (
            params.get("recovery_negative_tests_hours_apart") == 24
        ):
            params["recovery_negative_tests_hours_apart"] = None
        for name, value in ADDED[profile.key].items():
            params.setdefault(name, value)
        if params != profile.parameters:
            profile.parameters = params
            profile.save(update_fields=["parameters"])


class Migration(migrations.Migration):
    dependencies = [("diseases", "0003_diseaseprofile_based_on")]

    # Going back keeps the added parameters: the older code ignores them.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
