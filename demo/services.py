"""Choose the services the demo runs against: the configured ones, else embedded ones."""
from __future__ import annotations

import json
import os
import secrets
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from chesanto_comms.embedded.fcm import FcmServer
from chesanto_comms.embedded.kafka import RECOMMENDED_CLIENT_SETTINGS, EmbeddedKafka
from chesanto_comms.embedded.postgres import EmbeddedPostgres
from chesanto_comms.embedded.sms import AfricasTalkingServer
from chesanto_comms.embedded.smtp import SmtpSink
from chesanto_comms.embedded.whatsapp import WhatsAppCloudServer


@dataclass
class DemoServices:
    env: dict[str, str] = field(default_factory=dict)  # for the demo's processes
    described: list[str] = field(default_factory=list)
    smtp_sink: SmtpSink | None = None  # when the SMTP server is the embedded one
    sms_server: AfricasTalkingServer | None = None  # when the SMS API is the embedded one
    whatsapp_server: WhatsAppCloudServer | None = None  # when the WhatsApp Cloud API is the embedded one
    fcm_server: FcmServer | None = None  # when FCM is the embedded one


def start_services(stack: ExitStack, workdir: Path) -> DemoServices:
    services = DemoServices()
    env, described = services.env, services.described
    env["EXAMPLES_ENABLED"] = "true"  # the demo's business day is the example modules'
    if not os.environ.get("SECRET_KEY"):  # with DEBUG off the project refuses its development key
        env["SECRET_KEY"] = secrets.token_urlsafe(50)
    if not os.environ.get("OUTBOX_SECRET_KEY"):  # a key for this run only: nothing it seals outlives it
        from cryptography.fernet import Fernet

        env["OUTBOX_SECRET_KEY"] = Fernet.generate_key().decode()
    reports = workdir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    env.setdefault("REPORTS_STORAGE_DIR", os.environ.get("REPORTS_STORAGE_DIR", str(reports.resolve())))
    if os.environ.get("DATABASE_URL"):
        described.append(f"PostgreSQL: DATABASE_URL ({os.environ['DATABASE_URL'].split('@')[-1]})")
    else:
        pg = stack.enter_context(EmbeddedPostgres(workdir / "postgres"))
        env["DATABASE_URL"] = pg.url
        described.append(f"PostgreSQL: embedded, data in {pg.data_dir}")
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        described.append(f"Kafka: KAFKA_BOOTSTRAP_SERVERS ({os.environ['KAFKA_BOOTSTRAP_SERVERS']})")
    else:
        kafka = stack.enter_context(EmbeddedKafka())
        env["KAFKA_BOOTSTRAP_SERVERS"] = kafka.bootstrap_servers
        for name, value in RECOMMENDED_CLIENT_SETTINGS.items():
            env.setdefault(name, os.environ.get(name, value))
        described.append(f"Kafka: embedded Tansu broker on {kafka.bootstrap_servers}")
    if os.environ.get("EMAIL_HOST"):
        described.append(f"SMTP: EMAIL_HOST ({os.environ['EMAIL_HOST']}:{os.environ.get('EMAIL_PORT', '25')})")
    else:
        services.smtp_sink = stack.enter_context(SmtpSink(save_dir=workdir / "mail"))
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(services.smtp_sink.port), EMAIL_USE_SSL="false",
                   EMAIL_USE_TLS="false")
        described.append(f"SMTP: local catcher on 127.0.0.1:{services.smtp_sink.port}, "
                         f"messages saved in {services.smtp_sink.save_dir}")
    if os.environ.get("SMS_API_KEY"):
        described.append(f"SMS: {os.environ.get('SMS_PROVIDER', 'africastalking')} (SMS_API_KEY is set)")
    else:
        services.sms_server = stack.enter_context(AfricasTalkingServer())
        env.update(SMS_PROVIDER="africastalking", SMS_API_KEY=services.sms_server.api_key,
                   SMS_USERNAME=services.sms_server.username, SMS_API_URL=services.sms_server.url)
        described.append(f"SMS: a local server answering as Africa's Talking does, on {services.sms_server.url}")
    if os.environ.get("WHATSAPP_ACCESS_TOKEN"):
        described.append("WhatsApp: Meta's Cloud API (WHATSAPP_ACCESS_TOKEN is set)")
    else:
        server = services.whatsapp_server = stack.enter_context(WhatsAppCloudServer())
        env.update(WHATSAPP_ACCESS_TOKEN=server.access_token, WHATSAPP_PHONE_NUMBER_ID=server.phone_number_id,
                   WHATSAPP_BUSINESS_ACCOUNT_ID=server.business_account_id, WHATSAPP_API_URL=server.url)
        described.append(f"WhatsApp: a local server answering as Meta's Cloud API does, on {server.url}")
    if os.environ.get("PUSH_SERVICE_ACCOUNT"):
        described.append("Push: Firebase Cloud Messaging (PUSH_SERVICE_ACCOUNT is set)")
    else:
        services.fcm_server = stack.enter_context(FcmServer())
        key = workdir / "firebase-service-account.json"  # the key the local server made, as Firebase gives one
        key.write_text(json.dumps(services.fcm_server.service_account_info()))
        key.chmod(0o600)
        env.update(PUSH_SERVICE_ACCOUNT=str(key), PUSH_API_URL=services.fcm_server.url)
        described.append(f"Push: a local server answering as FCM HTTP v1 and Google's token endpoint do, on "
                         f"{services.fcm_server.url}")
    return services
