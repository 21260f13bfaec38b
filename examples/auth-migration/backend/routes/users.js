const express = require('express');
const { login } = require('../auth');
const db = require('../db/pool');

const router = express.Router();

router.post('/auth/login', async (req, res) => {
  const token = await login(req.body.username, req.body.password);
  res.json({ token });
});

router.get('/auth/callback', (req, res) => {
  res.redirect('/');
});

router.get('/api/users/:id', async (req, res) => {
  const { rows } = await db.query('SELECT id, email, auth0_id FROM users WHERE id = $1', [req.params.id]);
  res.json(rows[0]);
});

module.exports = router;
