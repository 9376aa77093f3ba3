import http from 'node:http';
import pg from 'pg';

/**
 * The floor for the API benchmark: the same page (50 newest customers, their
 * latest scores and last 5 orders) read with one hand-written SQL statement over
 * a plain pg pool and sent as JSON, with no GraphQL in between.
 */
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const PAGE = `
  select json_build_object('data', json_build_object('customers', json_build_object('edges', coalesce(json_agg(json_build_object('node', json_build_object(
    'id', c.id, 'name', c.name, 'email', c.email,
    'scores', (select coalesce(json_agg(json_build_object('kind', s.kind, 'value', s.value, 'band', s.band) order by s.kind), '[]')
               from current_score s where s.customer_id = c.id),
    'orders', json_build_object('edges', (select coalesce(json_agg(json_build_object('node', json_build_object('id', o.id, 'orderedAt', o.ordered_at, 'amountMinor', o.amount_minor))), '[]')
               from (select id, ordered_at, amount_minor from customer_order where customer_id = c.id order by ordered_at desc, id desc limit 5) o))
  )) order by c.created_at desc, c.id desc), '[]')))) as body
  from (select * from customer order by created_at desc, id desc limit 50) c`;

http
  .createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      try {
        const { rows } = await pool.query<{ body: unknown }>(PAGE);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows[0].body));
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
