"""Nightly job that syncs user profiles from the identity provider."""
import os

from auth0.authentication import GetToken

AUTH0_DOMAIN = os.environ["AUTH0_DOMAIN"]


def sync_profiles(conn):
    token = GetToken(AUTH0_DOMAIN, os.environ["AUTH0_CLIENT_ID"])
    cursor = conn.cursor()
    cursor.execute("SELECT id, auth0_id FROM users WHERE synced_at IS NULL")
    for user_id, auth0_id in cursor.fetchall():
        refresh_profile(token, user_id, auth0_id)


def refresh_profile(token, user_id, auth0_id):
    return {"user": user_id, "identity": auth0_id, "token": token}
