"""hoso signing service."""
