"""``python -m crawlscope.cli``."""

from crawlscope.cli import main

main()
