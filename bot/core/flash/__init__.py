"""Flash Reports: collect resources, nominated messages and stories of change; compile, publish and export issues.

Modules: service (FlashService, the API the cogs call), publishing (delivery handlers), planning (one draft
per server, its dates and content), render (Discord layout within every limit), export (Markdown / HTML),
ids (button custom_ids), ports (what other features provide), cadence, urls, tags, safetext, content
(snapshot), repository (storage), domain, errors.
"""
