const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

async function linkIdentity(userId, auth0Id) {
  return pool.query('UPDATE users SET auth0_id = $2 WHERE id = $1', [userId, auth0Id]);
}

module.exports = { query: (text, params) => pool.query(text, params), linkIdentity };
