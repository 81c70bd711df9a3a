-- Deleted orders leave no updated_at behind, so the database records each delete here
-- (order id and when). An incremental refresh of mysql_orders reads the deletes since its
-- high-watermark from this table, the same way it reads changed orders from orders.
-- A file of its own so that a database created before it can be given it as it is:
--   docker compose exec -T mysql sh -c 'mysql -u root -p"$MYSQL_ROOT_PASSWORD" shop' < mysql_init/04_orders_deleted.sql
USE shop;

CREATE TABLE IF NOT EXISTS orders_deleted (
    order_id INT NOT NULL,
    deleted_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    INDEX idx_orders_deleted_deleted_at (deleted_at)
);

CREATE TRIGGER IF NOT EXISTS orders_record_delete AFTER DELETE ON orders FOR EACH ROW INSERT INTO orders_deleted (order_id) VALUES (OLD.id);
