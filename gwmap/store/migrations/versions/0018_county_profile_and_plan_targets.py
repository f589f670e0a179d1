"""the county as data: its profile (name, code, bureau, cone rule, time zone, sealing standard, plan title)
and the plan's targets as rows per county and year, each naming its source; the sealing page's yearly
targets (sealing_plans) are copied into plan_targets, which the code reads from now on (the old table stays,
as nothing is deleted)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 11:30:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def _versioned():
    return sa.Column('row_version', sa.Integer(), server_default='1', nullable=False)


def upgrade() -> None:
    op.create_table('county_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('adcode', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('bureau_name', sa.String(length=128), nullable=False),
    sa.Column('bureau_lon', sa.Float(), nullable=False),
    sa.Column('bureau_lat', sa.Float(), nullable=False),
    sa.Column('cone_kind', sa.String(length=8), nullable=False),
    sa.Column('cone_threshold_m', sa.Float(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('sealing_standard', sa.String(length=64), nullable=False),
    sa.Column('plan_title', sa.String(length=255), nullable=False),
    _versioned(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('adcode')
    )
    op.create_table('plan_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_adcode', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sealed_wells', sa.Integer(), nullable=True),
    sa.Column('cut_m3', sa.Float(), nullable=True),
    sa.Column('reclaimed_used_m3', sa.Float(), nullable=True),
    sa.Column('reclaimed_rate', sa.Float(), nullable=True),
    sa.Column('deep_stopped', sa.Boolean(), nullable=True),
    sa.Column('cone_area_km2', sa.Float(), nullable=True),
    sa.Column('level_rise_m', sa.Float(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    _versioned(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('county_adcode', 'year')
    )
    op.create_index('ix_plan_targets_county_adcode', 'plan_targets', ['county_adcode'])
    # the grid company's file names an account's holder (户名) and address (用电地址): kept, to link it to a well
    with op.batch_alter_table('power_records') as batch:
        batch.add_column(sa.Column('account_name', sa.String(length=128), server_default='', nullable=False))
        batch.add_column(sa.Column('address', sa.String(length=255), server_default='', nullable=False))
    op.create_table('power_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('well_code', sa.String(length=32), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('confirmed_by', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    _versioned(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account')
    )
    op.create_index('ix_power_links_well_code', 'power_links', ['well_code'])
    bind = op.get_bind()
    triggers.install(bind, ("county_profiles", "plan_targets", "power_records", "power_links"))
    # every database before this one served the default county: its sealing targets become its plan rows
    from gwmap.county import DEFAULT_ADCODE

    old = bind.execute(sa.text("SELECT year, target_wells, target_cut_m3, note FROM sealing_plans")).all()
    for year, wells, cut, note in old:
        bind.execute(sa.text("INSERT INTO plan_targets (county_adcode, year, sealed_wells, cut_m3, source, row_version) "
                             "VALUES (:c, :y, :w, :m, :s, 1)"),
                     {"c": DEFAULT_ADCODE, "y": year, "w": wells, "m": cut,
                      "s": (note or "").strip() or "封井计划 / sealing plan (sealing_plans)"})


def downgrade() -> None:
    op.drop_index('ix_power_links_well_code', 'power_links')
    op.drop_table('power_links')
    with op.batch_alter_table('power_records') as batch:
        batch.drop_column('address')
        batch.drop_column('account_name')
    op.drop_index('ix_plan_targets_county_adcode', 'plan_targets')
    op.drop_table('plan_targets')
    op.drop_table('county_profiles')
