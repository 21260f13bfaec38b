// Authentication helpers. Auth0 is being replaced by AWS Cognito.
const { AuthenticationClient } = require('auth0');
const jwt = require('jsonwebtoken');

const auth0 = new AuthenticationClient({
  domain: process.env.AUTH0_DOMAIN,
  clientId: process.env.AUTH0_CLIENT_ID,
});

async function login(username, password) {
  const tokens = await auth0.oauth.passwordGrant({ username, password });
  return jwt.sign({ sub: tokens.id_token }, process.env.JWT_SECRET);
}

function verifySession(token) {
  return jwt.verify(token, process.env.JWT_SECRET);
}

module.exports = { login, verifySession };
