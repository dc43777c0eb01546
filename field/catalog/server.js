// A product catalog: express + knex over better-sqlite3.
//
// It has no tracing code of its own: it is started with
// `node --require @opentelemetry/auto-instrumentations-node/register`, which instruments http,
// express and knex from the OTEL_* environment. Two handlers are slow for reasons a code review
// would catch: `/products/popular` reads each product's reviews one query at a time (an N+1),
// and `/products/:id/page` calls three independent downstream services one after the other.
'use strict';

const http = require('node:http');
const path = require('node:path');
const express = require('express');
const knex = require('knex');

const port = Number(process.env.PORT || 18483);
const db = knex({
  client: 'better-sqlite3',
  connection: { filename: process.env.CATALOG_DB || path.join(__dirname, 'catalog.db') },
  useNullAsDefault: true,
});

async function seed() {
  await db.schema.dropTableIfExists('reviews');
  await db.schema.dropTableIfExists('products');
  await db.schema.createTable('products', (t) => {
    t.increments('id');
    t.string('name');
    t.integer('sold');
  });
  await db.schema.createTable('reviews', (t) => {
    t.increments('id');
    t.integer('product_id').index();
    t.integer('stars');
    t.string('body');
  });
  const products = [];
  for (let i = 1; i <= 500; i++) products.push({ id: i, name: `Product ${i}`, sold: (i * 7919) % 1000 });
  await db.batchInsert('products', products, 100);
  const reviews = [];
  for (let i = 1; i <= 5000; i++) {
    reviews.push({ product_id: 1 + (i % 500), stars: 1 + (i % 5), body: `review ${i}` });
  }
  await db.batchInsert('reviews', reviews, 100);
}

// GET JSON from this service's own downstream endpoints (they stand for other services).
function getJson(pathname) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const app = express();

app.get('/health', (_req, res) => res.json({ ok: true }));

app.get('/products/popular', async (_req, res) => {
  const products = await db('products').select('id', 'name', 'sold').orderBy('sold', 'desc').limit(30);
  for (const p of products) {
    // one query per product: the N+1
    p.reviews = await db('reviews').where('product_id', p.id).select('stars', 'body');
  }
  res.json(products);
});

// Downstream services: each takes a while to answer.
app.get('/internal/inventory/:id', async (req, res) => {
  await sleep(25);
  res.json({ id: req.params.id, in_stock: 12 });
});
app.get('/internal/pricing/:id', async (req, res) => {
  await sleep(25);
  res.json({ id: req.params.id, price_cents: 1999 });
});
app.get('/internal/shipping/:id', async (req, res) => {
  await sleep(25);
  res.json({ id: req.params.id, days: 2 });
});

app.get('/products/:id/page', async (req, res) => {
  const id = Number(req.params.id);
  const product = await db('products').where('id', id).first();
  // three independent calls, awaited one after the other
  const inventory = await getJson(`/internal/inventory/${id}`);
  const pricing = await getJson(`/internal/pricing/${id}`);
  const shipping = await getJson(`/internal/shipping/${id}`);
  res.json({ product, inventory, pricing, shipping });
});

seed().then(() => {
  app.listen(port, '127.0.0.1', () => console.log(`catalog listening on 127.0.0.1:${port}`));
});
