"""The example shop site's project package (settings and URLs)."""
