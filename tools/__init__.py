"""Developer tools that are not production code: the WeChat simulator and the WeChat API stand-in."""
