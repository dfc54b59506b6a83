"""Support code of the tests (not tests themselves): the local Hub server (``hub_server``) and the shared-datasets
rule of ``realdata`` tests (``shared_data``)."""
