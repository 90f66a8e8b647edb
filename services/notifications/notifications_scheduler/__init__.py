"""The scheduler of Bassin: Celery beat (one replica, persistent schedule) and a Celery
worker running the daily and hourly jobs that no event triggers. It imports neither nameko
nor any service's code: jobs call the owning services by RPC over RabbitMQ (``rpc``)."""
