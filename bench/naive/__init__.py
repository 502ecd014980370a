"""N, the naive baseline: what a default DRF ModelViewSet with nested ModelSerializers gives (see views.py)."""
