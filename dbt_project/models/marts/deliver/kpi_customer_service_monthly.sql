{#
    Customer service by customer, site and month (the month of the lines' deadline):
    one row per group with at least one counted line. Measures: macros/customer_service_kpis.sql.
#}
{{ customer_service_kpis(ref('fct_sales_order_lines'), ['customer_id', 'site_id', 'month']) }}
