-- Deterministic seed data, generated in SQL from a number sequence (no randomness):
-- the same rows on every load, dated relative to the load time over the last 90 days.
--
-- Clean rows:  1,000 users, 200 authors, 2,000 books, 50,000 orders.
-- Dirty rows the pipeline must handle (known counts, asserted by the tests):
--   users  1001-1020  NULL email                                 20
--   users  1021-1035  malformed email                            15
--   users  1036-1060  duplicate of users 1-25 (case, whitespace)  25
--   orders 50001-50030 quantity 0                                 30
--   orders 50031-50050 negative quantity                          20
--   orders 50051-50075 user that does not exist                   25
--   orders 50076-50100 book that does not exist                   25
USE shop;

CREATE TABLE seed_digits (d INT PRIMARY KEY);
INSERT INTO seed_digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
CREATE TABLE seed_numbers (n INT PRIMARY KEY);
INSERT INTO seed_numbers (n)
SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d
FROM seed_digits a CROSS JOIN seed_digits b CROSS JOIN seed_digits c
CROSS JOIN seed_digits e CROSS JOIN seed_digits f;

INSERT INTO authors (id, name, country, created_at, updated_at)
SELECT n, CONCAT('Author ', n), ELT(1 + n % 5, 'GB', 'US', 'FR', 'DE', 'NL'),
       UTC_TIMESTAMP() - INTERVAL 120 DAY, UTC_TIMESTAMP() - INTERVAL 120 DAY
FROM seed_numbers WHERE n <= 200;

INSERT INTO books (id, author_id, title, price, created_at, updated_at)
SELECT n, 1 + (n * 37) % 200, CONCAT('Book ', n), 5.00 + ((n * 7919) % 4000) / 100,
       UTC_TIMESTAMP() - INTERVAL 100 DAY, UTC_TIMESTAMP() - INTERVAL 100 DAY
FROM seed_numbers WHERE n <= 2000;

INSERT INTO users (id, email, full_name, created_at, updated_at)
SELECT n, CONCAT('reader', n, '@bookshop.example'), CONCAT('Reader ', n),
       UTC_TIMESTAMP() - INTERVAL 95 DAY, UTC_TIMESTAMP() - INTERVAL 95 DAY
FROM seed_numbers WHERE n <= 1000;

INSERT INTO users (id, email, full_name, created_at, updated_at)
SELECT n, NULL, CONCAT('Reader ', n), UTC_TIMESTAMP() - INTERVAL 95 DAY, UTC_TIMESTAMP() - INTERVAL 95 DAY
FROM seed_numbers WHERE n BETWEEN 1001 AND 1020;

INSERT INTO users (id, email, full_name, created_at, updated_at)
SELECT n, ELT(1 + n % 3, CONCAT('reader', n, '.bookshop.example'), '@bookshop.example', CONCAT('reader', n, '@')),
       CONCAT('Reader ', n), UTC_TIMESTAMP() - INTERVAL 95 DAY, UTC_TIMESTAMP() - INTERVAL 95 DAY
FROM seed_numbers WHERE n BETWEEN 1021 AND 1035;

INSERT INTO users (id, email, full_name, created_at, updated_at)
SELECT n, CONCAT('  ', UPPER(CONCAT('reader', n - 1035, '@bookshop.example')), ' '), CONCAT('Reader ', n - 1035),
       UTC_TIMESTAMP() - INTERVAL 94 DAY, UTC_TIMESTAMP() - INTERVAL 94 DAY
FROM seed_numbers WHERE n BETWEEN 1036 AND 1060;

INSERT INTO orders (id, user_id, book_id, quantity, unit_price, created_at, updated_at)
SELECT s.n, 1 + (s.n * 7919) % 1000, b.id, 1 + (s.n * 31) % 5, b.price,
       UTC_TIMESTAMP() - INTERVAL ((s.n * 6151) % 129600) MINUTE,
       UTC_TIMESTAMP() - INTERVAL ((s.n * 6151) % 129600) MINUTE
FROM seed_numbers s JOIN books b ON b.id = 1 + (s.n * 104729) % 2000
WHERE s.n <= 50000;

INSERT INTO orders (id, user_id, book_id, quantity, unit_price, created_at, updated_at)
SELECT n,
       CASE WHEN n BETWEEN 50051 AND 50075 THEN 900000 + n ELSE 1 + n % 1000 END,
       CASE WHEN n BETWEEN 50076 AND 50100 THEN 900000 + n ELSE 1 + n % 2000 END,
       CASE WHEN n <= 50030 THEN 0 WHEN n <= 50050 THEN -(1 + n % 3) ELSE 1 END,
       9.99,
       UTC_TIMESTAMP() - INTERVAL (n % 90) DAY,
       UTC_TIMESTAMP() - INTERVAL (n % 90) DAY
FROM seed_numbers WHERE n BETWEEN 50001 AND 50100;

DROP TABLE seed_numbers;
DROP TABLE seed_digits;
