"""Tests for AI Arr Control."""
