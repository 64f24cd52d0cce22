{#
    Company-wide service level by month: the measures of kpi_customer_service_monthly
    computed from all counted lines of the month (not averaged from the per-customer
    mart). The company's totals live here; no other mart has rollup rows.
#}
{{ customer_service_kpis(ref('fct_sales_order_lines'), ['month']) }}
