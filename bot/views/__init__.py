"""Pages built from the core for a front end to show: the App Home "my summit" page."""
