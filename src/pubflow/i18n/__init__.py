"""i18n stage."""
