"""Flash Reports: collect resources, nominated messages and stories of change; compile, publish and export issues.

Modules: service (FlashService, the API the cogs call), deliveries (delivery kinds, keys and handlers, and the
register function the app calls), planning (one draft per server, its dates and content; it reads the programme,
reflections and participants services), render (Discord layout within every limit), export (Markdown / HTML and
export_issue for the CLI), ids (button custom_ids), cadence, urls, tags, safetext, content (snapshot), repository
(storage), domain, errors.
"""
