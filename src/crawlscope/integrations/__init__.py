"""Bring crawlers people already have: a Scrapy add-on (``crawlscope.integrations.scrapy``)
and instrumented asyncio HTTP clients (``crawlscope.track``).

Both report through ``ExternalRun``: a run whose work is done by someone else's code. It
sends the same events a crawlscope ``Run`` sends (to a server through ``HttpReporter``, or
to a local database through a ``Monitor``), keeps the dataset through the runner's
``ItemPipeline``, and hands pause/resume/cancel from the dashboard to the integration.

Importing this package imports neither Scrapy, httpx nor aiohttp.
"""
