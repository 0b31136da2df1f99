"""Tests for the Arr simulator (arr_simulator)."""
