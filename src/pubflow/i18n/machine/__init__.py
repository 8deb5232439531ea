"""Machine pre-fill: deep-translator backends made safe (masking, splitting, retries, memory).

The entry point is :func:`pubflow.i18n.machine.prefill.prefill_catalogs`; the offline pseudo
backend lives in :mod:`pubflow.i18n.pseudo`. Nothing is imported here on purpose:
``pubflow.i18n.pseudo`` uses :mod:`.masking`, and an eager import of ``prefill`` (which uses
the pseudo backend) would make importing ``pseudo`` first a circular import.
"""
