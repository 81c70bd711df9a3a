-- The orders table at benchmark size: the seed's orders (shop.orders, from mysql_init/) copied
-- over and over with shifted ids until @rows rows, into the current database. Same schema and
-- indexes as shop.orders (and its orders_deleted with the trigger that fills it), same dates (the last 90 days), prices and quantities.
--
--   mysql -h HOST -P PORT -u root --init-command='SET @rows = 1000000' bench_db < bench/orders.sql
--
-- Ids run 1..@rows without gaps (the seed's ids are 1..50,100), so `id % 100 = k` picks 1%.
-- Users, books and authors are the seed's, as views: the whole pipeline runs on this database.
DROP TABLE IF EXISTS orders;
CREATE TABLE orders LIKE shop.orders;
DROP TABLE IF EXISTS orders_deleted;
CREATE TABLE orders_deleted LIKE shop.orders_deleted;
CREATE TRIGGER IF NOT EXISTS orders_record_delete AFTER DELETE ON orders FOR EACH ROW INSERT INTO orders_deleted (order_id) VALUES (OLD.id);

DROP TABLE IF EXISTS bench_digits;
CREATE TABLE bench_digits (d INT PRIMARY KEY);
INSERT INTO bench_digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);

SET @span = (SELECT MAX(id) FROM shop.orders);
INSERT INTO orders (id, user_id, book_id, quantity, unit_price, created_at, updated_at)
SELECT copies.n * @span + o.id, o.user_id, o.book_id, o.quantity, o.unit_price, o.created_at, o.updated_at
FROM (
    SELECT a.d + 10 * b.d + 100 * c.d AS n
    FROM bench_digits a CROSS JOIN bench_digits b CROSS JOIN bench_digits c
    WHERE a.d + 10 * b.d + 100 * c.d < CEIL(@rows / @span)
) copies
JOIN shop.orders o ON copies.n * @span + o.id <= @rows;

DROP TABLE bench_digits;
CREATE OR REPLACE VIEW users AS SELECT * FROM shop.users;
CREATE OR REPLACE VIEW authors AS SELECT * FROM shop.authors;
CREATE OR REPLACE VIEW books AS SELECT * FROM shop.books;
ANALYZE TABLE orders;
